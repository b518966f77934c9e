"""Mail: the outbox and its SMTP worker, the monthly report and the notices.

``outbox.py`` writes mails to the outbox table and ``worker.py`` sends them
through the operator's SMTP server (``smtp.py``); ``report.py`` and
``notices.py`` say what the mails contain, ``jobs.py`` when the scheduled ones
are queued.  docs/mail.md has the whole story.
"""
