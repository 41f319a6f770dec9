"""Webhooks: partner systems told of care events as they happen (issue 22, R6).

An administrator registers an endpoint and the event kinds it wants with ``bangfu webhook
add`` (:mod:`bangfu.webhook_cli`). Each delivery is an HTTP POST of a JSON body signed the
Standard Webhooks way (https://www.standardwebhooks.com/): the headers ``webhook-id`` (the
delivery id, the same on every retry, so a receiver drops duplicates), ``webhook-timestamp``
and ``webhook-signature`` (``v1,`` and the base64 HMAC-SHA256 of ``id.timestamp.body``
under the endpoint's secret). :mod:`.signing` makes them; :mod:`.targets` decides which
addresses an endpoint may have (no server-side request forgery in the production profile);
:mod:`.retry` is the schedule of retries; :mod:`.endpoints` stores the endpoints with their
secrets encrypted.
"""
