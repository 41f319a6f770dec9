"""The kinds of event an endpoint may subscribe to (``bangfu webhook add --events``)."""

import enum

from bangfu.core.i18n import N_


class WebhookEvent(enum.StrEnum):
    """What a delivery tells; the value is the body's ``type``."""

    CARE_EVENT_RAISED = "care_event.raised"
    CARE_EVENT_ANSWERED = "care_event.answered"
    CARE_EVENT_REMINDER = "care_event.reminder"
    CARE_EVENT_ESCALATED = "care_event.escalated"
    PAIRING_STARTED = "pairing.started"
    PAIRING_ENDED = "pairing.ended"
    KEY_PROBLEM_FOUND = "problem.key_found"


#: What each kind means (translated where shown), for ``bangfu webhook add --help``.
DESCRIPTIONS: dict[WebhookEvent, str] = {
    WebhookEvent.CARE_EVENT_RAISED: N_(
        "a care event was raised (illness, dropout, disaster, bereavement, holiday)"
    ),
    WebhookEvent.CARE_EVENT_ANSWERED: N_("a care event was answered"),
    WebhookEvent.CARE_EVENT_REMINDER: N_("a care event's deadline is near and it is unanswered"),
    WebhookEvent.CARE_EVENT_ESCALATED: N_("a care event's deadline passed unanswered"),
    WebhookEvent.PAIRING_STARTED: N_("a person was paired with an official"),
    WebhookEvent.PAIRING_ENDED: N_("a pairing ended"),
    WebhookEvent.KEY_PROBLEM_FOUND: N_("a screening visit found a key problem"),
}
