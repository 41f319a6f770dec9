"""Notifications (issue 22): who must act on a care event, a pairing or a key problem is
told, in the transaction of the change that calls for it.

- :mod:`bangfu.core.notify.models`: the notifications (one row per recipient, reason and
  subject, under a unique key) and their deliveries per channel (the seam for channels to
  come: webhooks, a plugin's SMS gateway);
- :mod:`bangfu.core.notify.service`: recording them, idempotently, and who the recipients
  are;
- :mod:`bangfu.core.notify.jobs`: the worker's jobs: reminders and escalation of care events,
  and delivery.
"""
