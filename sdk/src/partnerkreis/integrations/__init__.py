"""Partner blocks in template engines: ``integrations.django`` and ``integrations.jinja``.

Neither engine is a dependency of the SDK: install the extra you use
(``partnerkreis[django]``, ``partnerkreis[jinja]``).
"""
