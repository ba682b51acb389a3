"""The weekly digest e-mail: compose it, build the message, deliver it.

``compose`` (pure: data, subject, text and HTML), ``message`` (the MIME
message), ``smtp`` (delivery with retries) and ``outbox`` (``.eml`` files when
no SMTP server is configured). ``tracker.digest`` wires them to the store.
"""
