"""Texts of our signed-in pages (the admin, the member portal), German and English.

``TEXTS`` maps a key to its (German, English) text; ``translator(lang)`` gives
the ``t(key, **values)`` the templates call.  A missing key shows as the key
itself, so a gap is visible on the page (and caught by the tests).  The
portal's texts live in ``portal_texts.py`` and are merged in here.

Validation messages come from the service functions in English; ``reason_text``
turns the keys the admin uses and the most common messages into German.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from widget_server.web.portal_texts import PORTAL_REASONS, PORTAL_TEXTS

TEXTS: dict[str, tuple[str, str]] = {
    # frame and navigation
    "admin.product": ("Partnerkreis-Verwaltung", "Partnerkreis admin"),
    "admin.badge": ("Verwaltung", "Admin"),
    "admin.footer": (
        "Partnerkreis · Verwaltung für die Koordination des Netzwerks",
        "Partnerkreis · admin for the network's coordinators",
    ),
    "frame.skip_link": ("Zum Inhalt springen", "Skip to content"),
    "frame.language": ("Sprache", "Language"),
    "frame.signed_in_as": ("Angemeldet als", "Signed in as"),
    "frame.logout": ("Abmelden", "Sign out"),
    "nav.label": ("Bereiche der Verwaltung", "Admin sections"),
    "nav.home": ("Übersicht", "Overview"),
    "nav.members": ("Mitglieder", "Members"),
    "nav.themes": ("Themen", "Themes"),
    "nav.stats": ("Statistik", "Statistics"),
    "nav.audit": ("Protokoll", "Audit log"),
    # notices after a change
    "done.saved": ("Die Änderungen wurden gespeichert.", "Your changes have been saved."),
    "done.logged_out": ("Sie wurden abgemeldet.", "You have been signed out."),
    "done.domains_saved": ("Die Domains wurden gespeichert.", "The domains have been saved."),
    "done.logo_saved": ("Das Logo wurde gespeichert.", "The logo has been saved."),
    "done.membership_saved": (
        "Die Themen-Mitgliedschaft wurde geändert.",
        "The theme membership has been changed.",
    ),
    "done.status_approve": ("Das Mitglied ist freigeschaltet.", "The member has been approved."),
    "done.status_pause": ("Das Mitglied ist pausiert.", "The member has been paused."),
    "done.status_resume": ("Das Mitglied ist wieder aktiv.", "The member is active again."),
    "done.status_remove": ("Das Mitglied wurde entfernt.", "The member has been removed."),
    "done.theme_created": ("Das Thema wurde angelegt.", "The theme has been created."),
    "done.rules_saved": (
        "Die Regeln wurden als neue Version gespeichert.",
        "The rules have been saved as a new version.",
    ),
    # forms
    "form.save": ("Speichern", "Save"),
    "form.required": ("Pflichtfeld", "required"),
    "form.error": ("Fehler", "Error"),
    "form.error_summary": ("Bitte prüfen Sie Ihre Eingaben", "Please check your input"),
    # errors
    "error.back": ("Zur Übersicht", "Back to the overview"),
    "error.csrf.title": ("Anfrage abgelehnt", "Request refused"),
    "error.csrf.text": (
        "Das Formular war abgelaufen oder stammt nicht von dieser Seite. Bitte laden Sie"
        " die Seite neu und versuchen Sie es noch einmal.",
        "The form had expired or did not come from this site. Please reload the page and"
        " try again.",
    ),
    "error.not_found.title": ("Nicht gefunden", "Not found"),
    "error.not_found.text": (
        "Diese Seite gibt es nicht (mehr).",
        "This page does not exist (any more).",
    ),
    "error.too_large.title": ("Zu groß", "Too large"),
    "error.too_large.text": ("Die gesendeten Daten sind zu groß.", "The data sent is too large."),
    "error.unavailable.title": ("Vorübergehend nicht erreichbar", "Temporarily unavailable"),
    "error.unavailable.text": (
        "Die Datenbank antwortet gerade nicht. Bitte versuchen Sie es gleich noch einmal.",
        "The database is not answering. Please try again in a moment.",
    ),
    # login
    "login.title": ("Anmelden", "Sign in"),
    "login.intro": (
        "Die Verwaltung ist der Koordination des Netzwerks vorbehalten.",
        "The admin is for the network's coordinators.",
    ),
    "login.username": ("Benutzername", "User name"),
    "login.password": ("Passwort", "Password"),
    "login.submit": ("Anmelden", "Sign in"),
    "login.failed": (
        "Benutzername oder Passwort stimmen nicht.",
        "The user name or password is not correct.",
    ),
    "login.limited": (
        "Zu viele fehlgeschlagene Anmeldungen. Bitte warten Sie etwa {minutes} Minuten.",
        "Too many failed sign-ins. Please wait about {minutes} minutes.",
    ),
    # overview
    "home.title": ("Übersicht", "Overview"),
    "home.intro": ("Das Netzwerk auf einen Blick.", "The network at a glance."),
    "home.members_pending": ("Mitglieder warten auf Freigabe", "members awaiting approval"),
    "home.members_active": ("aktive Mitglieder", "active members"),
    "home.members_paused": ("pausierte Mitglieder", "paused members"),
    "home.members_removed": ("entfernte Mitglieder", "removed members"),
    "home.pending": ("Warten auf Freigabe", "Awaiting approval"),
    "home.no_pending": ("Niemand wartet auf Freigabe.", "Nobody is awaiting approval."),
    "home.themes": ("Themen", "Themes"),
    "home.theme_members": ("{count} Mitglieder", "{count} members"),
    "home.recent": ("Letzte Änderungen", "Recent changes"),
    "home.all_changes": ("Alle Änderungen im Protokoll", "All changes in the audit log"),
    # statuses
    "status.pending": ("Wartet", "Pending"),
    "status.active": ("Aktiv", "Active"),
    "status.paused": ("Pausiert", "Paused"),
    "status.removed": ("Entfernt", "Removed"),
    "status.left": ("Ausgetreten", "Left"),
    # members
    "members.title": ("Mitglieder", "Members"),
    "members.intro": (
        "Betriebe im Netzwerk: freischalten, bearbeiten, pausieren.",
        "Businesses in the network: approve, edit, pause.",
    ),
    "members.filter": ("Nach Status filtern", "Filter by status"),
    "members.all": ("Alle", "All"),
    "members.actions": ("Aktionen", "Actions"),
    "members.edit": ("Bearbeiten", "Edit"),
    "members.empty": ("Keine Mitglieder mit diesem Status.", "No members with this status."),
    "member.name": ("Name", "Name"),
    "member.website": ("Website", "Website"),
    "member.website_hint": ("Mit https:// am Anfang.", "Starting with https://."),
    "member.description": ("Kurzbeschreibung", "Short description"),
    "member.description_hint": ("Höchstens 300 Zeichen.", "At most 300 characters."),
    "member.category": ("Branche", "Category"),
    "member.no_category": ("(keine)", "(none)"),
    "member.town": ("Ort", "Town"),
    "member.postal_code": ("Postleitzahl", "Postal code"),
    "member.status": ("Status", "Status"),
    "member.themes": ("Themen", "Themes"),
    "member.profile": ("Angaben", "Profile"),
    "member.status_heading": ("Status", "Status"),
    "member.status_text.pending": (
        "Dieses Mitglied hat sich angemeldet und wartet auf Freigabe. Bis dahin wird es"
        " nirgends gezeigt.",
        "This member has registered and awaits approval. Until then it is shown nowhere.",
    ),
    "member.status_text.active": (
        "Dieses Mitglied ist aktiv und wird in den Blöcken der anderen gezeigt.",
        "This member is active and shown in the other members' blocks.",
    ),
    "member.status_text.paused": (
        "Dieses Mitglied ist pausiert und wird derzeit nicht gezeigt.",
        "This member is paused and currently not shown.",
    ),
    "member.status_text.removed": (
        "Dieses Mitglied wurde entfernt. Seine Zahlen bleiben erhalten.",
        "This member has been removed. Its figures are kept.",
    ),
    "member.action.approve": ("Freischalten", "Approve"),
    "member.action.pause": ("Pausieren", "Pause"),
    "member.action.resume": ("Wieder aktivieren", "Resume"),
    "member.action.remove": ("Entfernen", "Remove"),
    "member.confirm_remove": (
        "Ja, dieses Mitglied endgültig entfernen",
        "Yes, remove this member for good",
    ),
    "member.remove_hint": (
        "Ein entferntes Mitglied kann nicht wieder aktiviert werden.",
        "A removed member cannot be activated again.",
    ),
    "member.domains": ("Erlaubte Domains", "Allowed domains"),
    "member.domains_intro": (
        "Der Block zählt nur auf diesen Domains. Die Domain der Website gilt immer:",
        "The block counts only on these domains. The website's own domain always does:",
    ),
    "member.domains_extra": ("Weitere Domains", "Further domains"),
    "member.domains_hint": (
        "Eine Domain pro Zeile, z. B. shop.example.de",
        "One domain per line, e.g. shop.example.com",
    ),
    "member.logo": ("Logo", "Logo"),
    "member.logo_of": ("Logo von {name}", "Logo of {name}"),
    "member.logo_current": (
        "Gespeichert: {type}, {width} × {height} Pixel.",
        "Stored: {type}, {width} × {height} pixels.",
    ),
    "member.no_logo": ("Noch kein Logo.", "No logo yet."),
    "member.logo_file": ("Logo-Datei", "Logo file"),
    "member.logo_hint": (
        "PNG, JPEG, WebP oder GIF, höchstens {kb} KB, jede Seite 16 bis 2048 Pixel. Wir"
        " speichern das Bild und liefern es selbst aus.",
        "PNG, JPEG, WebP or GIF, at most {kb} KB, each side 16 to 2048 pixels. We store"
        " the image and serve it ourselves.",
    ),
    "member.logo_upload": ("Logo hochladen", "Upload logo"),
    "member.no_themes": ("In keinem Thema.", "In no theme."),
    "member.theme_pause": ("Pausieren", "Pause"),
    "member.theme_activate": ("Aktivieren", "Activate"),
    "member.theme_leave": ("Austragen", "Leave"),
    "member.theme_add": ("Thema hinzufügen", "Add a theme"),
    "member.theme_join": ("Hinzufügen", "Add"),
    "member.figures": ("Empfehlungen der letzten 30 Tage", "Referrals in the last 30 days"),
    "member.figures_caption": (
        "Partneransichten auf den eigenen Seiten (gegeben) und auf den Seiten der anderen"
        " (erhalten), je Tag.",
        "Partner views on its own pages (given) and on the others' pages (received), per day.",
    ),
    "member.history": ("Änderungen an diesem Mitglied", "Changes to this member"),
    # portal links
    "portal.heading": ("Link zum Mitgliederbereich", "Member portal link"),
    "portal.intro": (
        "Ein persönlicher, befristeter Link, mit dem das Mitglied seine Zahlen sieht –"
        " ohne Passwort. Geben Sie ihn nur dem Mitglied selbst.",
        "A personal, expiring link with which the member sees its figures – without a"
        " password. Give it to the member only.",
    ),
    "portal.days": ("Gültig für Tage", "Valid for days"),
    "portal.create": ("Link erstellen", "Create link"),
    "portal.created": (
        "Link erstellt, gültig bis {expires} UTC.",
        "Link created, valid until {expires} UTC.",
    ),
    "portal.link": ("Link", "Link"),
    "portal.once": (
        "Der Link wird nur jetzt angezeigt und nicht gespeichert.",
        "The link is shown only now and is not stored.",
    ),
    # themes
    "themes.title": ("Themen", "Themes"),
    "themes.intro": (
        "Die Themenkreise des Netzwerks, jedes mit eigenen Regeln.",
        "The network's theme clusters, each with its own rules.",
    ),
    "themes.new": ("Neues Thema", "New theme"),
    "themes.create": ("Thema anlegen", "Create theme"),
    "themes.empty": ("Noch keine Themen.", "No themes yet."),
    "themes.counts": ("{active} aktiv, {paused} pausiert", "{active} active, {paused} paused"),
    "themes.rules_version": ("Regeln Version {version}", "rules version {version}"),
    "theme.rules": ("Regeln", "Rules"),
    "theme.simulate": ("Simulator", "Simulator"),
    "theme.directory": ("Verzeichnis", "Directory"),
    "theme.slug": ("Kurzname", "Slug"),
    "theme.slug_hint": (
        "Kleinbuchstaben, Ziffern und einzelne Bindestriche, z. B. hochzeit. Steht in"
        " Adressen und lässt sich später nicht ändern.",
        "Lower-case letters, digits and single hyphens, e.g. wedding. Used in addresses;"
        " cannot be changed later.",
    ),
    "theme.name_de": ("Name (Deutsch)", "Name (German)"),
    "theme.name_en": ("Name (Englisch)", "Name (English)"),
    "theme.description_de": ("Beschreibung (Deutsch)", "Description (German)"),
    "theme.description_en": ("Beschreibung (Englisch)", "Description (English)"),
    "theme.kind": ("Art", "Kind"),
    "theme.kind_hint": (
        "Ein Thema („Partner zum Thema Hochzeit“) oder ein Ort („Partner aus Heide“).",
        "A topic (“partners for weddings”) or a place (“partners from Heide”).",
    ),
    "theme.kind.topic": ("Thema", "Topic"),
    "theme.kind.local": ("Ort", "Place"),
    # rules editor
    "rules.title": ("Regeln: {theme}", "Rules: {theme}"),
    "rules.version": (
        "Version {version}, geändert von {author} am {at} (UTC).",
        "Version {version}, changed by {author} at {at} (UTC).",
    ),
    "rules.version_short": ("Version {version}", "Version {version}"),
    "rules.defaults": (
        "Noch keine eigenen Regeln: es gelten die Voreinstellungen.",
        "No rules set yet: the defaults apply.",
    ),
    "rules.knobs": ("Häufige Einstellungen", "Common settings"),
    "rules.knobs_intro": (
        "Geänderte Felder werden in das Regeldokument übernommen; alles andere bleibt, wie es ist.",
        "Changed fields are written into the rule document; everything else stays as it is.",
    ),
    "rules.document": ("Vollständiges Regeldokument", "Full rule document"),
    "rules.document_label": ("Regeln (YAML oder JSON)", "Rules (YAML or JSON)"),
    "rules.document_hint": (
        "Alle Regeln, beschrieben in docs/rotation.md. Leer heißt: Voreinstellungen.",
        "Every rule, as described in docs/rotation.md. Empty means: the defaults.",
    ),
    "rules.preview": ("Vorschau", "Preview"),
    "rules.save": ("Als neue Version speichern", "Save as a new version"),
    "rules.preview_heading": ("Vorschau", "Preview"),
    "rules.preview_now": (
        "So sehen drei Beispiel-Seiten den Block gerade. „Vorschau“ zeigt daneben, was der"
        " Entwurf zeigen würde – ohne zu speichern.",
        "What three sample pages show right now. “Preview” shows what the draft would show"
        " beside it – without saving.",
    ),
    "rules.preview_draft": (
        "Entwurf, nicht gespeichert: so sähen die Blöcke mit den geänderten Regeln aus.",
        "Draft, not saved: the blocks as the changed rules would show them.",
    ),
    "rules.preview_invalid": (
        "Der Entwurf enthält Fehler; gezeigt wird der Stand mit den gespeicherten Regeln.",
        "The draft has errors; shown are the blocks under the stored rules.",
    ),
    "rules.on_page_of": ("Auf der Website von {name}", "On the website of {name}"),
    "rules.shown_now": ("jetzt", "now"),
    "rules.shown_draft": ("mit Entwurf", "with the draft"),
    "rules.pinned": ("fest", "pinned"),
    "rules.fallback.directory": (
        "(kein Partner: Link zum Verzeichnis)",
        "(no partner: link to the directory)",
    ),
    "rules.fallback.hide": ("(kein Partner: Block ausgeblendet)", "(no partner: block hidden)"),
    "rules.no_hosts": (
        "Das Thema hat noch keine aktiven Mitglieder.",
        "The theme has no active members yet.",
    ),
    "rules.versions": ("Frühere Versionen", "Earlier versions"),
    "rules.no_versions": ("Noch keine Versionen.", "No versions yet."),
    "knob.strategy": ("Auswahlverfahren", "Strategy"),
    "knob.partners.max": ("Partner je Block (höchstens)", "Partners per block (at most)"),
    "knob.partners.min": ("Partner je Block (mindestens)", "Partners per block (at least)"),
    "knob.fairness.alpha": ("Gegenseitigkeit α", "Reciprocity α"),
    "knob.fairness.beta": ("Ausgleichsstärke β", "Balancing strength β"),
    "knob.fairness.half_life_days": (
        "Gedächtnis (Halbwertszeit, Tage)",
        "Memory (half-life, days)",
    ),
    "knob.exclusions.same_category": (
        "Keine Partner der eigenen Branche",
        "No partners of the host's own category",
    ),
    "knob.exclusions.one_per_category": (
        "Höchstens ein Partner je Branche",
        "At most one partner per category",
    ),
    "knob.region.mode": ("Region", "Region"),
    "knob.caps.max_share": ("Höchster Anteil eines Partners", "Largest share of one partner"),
    "knob.fallback": ("Wenn zu wenige Partner", "When too few partners"),
    "knob.links.label": ("Kennzeichnung am Block", "Label on the block"),
    "knob.rotation.granularity": ("Wechsel", "Rotation"),
    "knob_hint.strategy": (
        "„Fairer Austausch“ gleicht Geben und Nehmen aus.",
        "“Fair exchange” balances giving and receiving.",
    ),
    "knob_hint.partners.max": ("1 bis 12.", "1 to 12."),
    "knob_hint.partners.min": (
        "Weniger gefunden: der Ersatz unten greift.",
        "Fewer found: the fallback below applies.",
    ),
    "knob_hint.fairness.alpha": (
        "1: strikt Gleiches für Gleiches, 0: gleiche Anteile für alle.",
        "1: strictly one for one, 0: equal shares for all.",
    ),
    "knob_hint.fairness.beta": ("0 bis 20; Voreinstellung 1.", "0 to 20; default 1."),
    "knob_hint.fairness.half_life_days": ("Voreinstellung 14.", "Default 14."),
    "knob_hint.exclusions.same_category": ("", ""),
    "knob_hint.exclusions.one_per_category": ("", ""),
    "knob_hint.region.mode": (
        "Bevorzugt Partner aus demselben Ort.",
        "Prefers partners from the same town.",
    ),
    "knob_hint.caps.max_share": ("0,01 bis 1 (1: keine Grenze).", "0.01 to 1 (1: no cap)."),
    "knob_hint.fallback": ("", ""),
    "knob_hint.links.label": (
        "z. B. „Anzeige“; höchstens 30 Zeichen.",
        "e.g. “Ad”; at most 30 characters.",
    ),
    "knob_hint.rotation.granularity": ("", ""),
    "choice.strategy.fixed": ("Feste Reihenfolge", "Fixed order"),
    "choice.strategy.round-robin": ("Reihum", "Round robin"),
    "choice.strategy.weighted": ("Gewichtet", "Weighted"),
    "choice.strategy.fair-exchange": ("Fairer Austausch", "Fair exchange"),
    "choice.region.mode.off": ("Aus", "Off"),
    "choice.region.mode.boost": ("Bevorzugen", "Boost"),
    "choice.region.mode.tiered": ("Erst aus dem Ort", "Same town first"),
    "choice.region.mode.only": ("Nur aus dem Ort", "Same town only"),
    "choice.fallback.directory": ("Link zum Verzeichnis zeigen", "Link to the directory"),
    "choice.fallback.hide": ("Block ausblenden", "Hide the block"),
    "choice.rotation.granularity.bucket": ("Alle paar Minuten", "Every few minutes"),
    "choice.rotation.granularity.request": ("Bei jedem Aufruf", "On every request"),
    # stats
    "stats.title": ("Statistik", "Statistics"),
    "stats.intro": (
        "Gezählte Ansichten und Klicks, ohne Daten über Besucher.",
        "Counted views and clicks, without any data about visitors.",
    ),
    "stats.theme": ("Thema", "Theme"),
    "stats.from": ("Von", "From"),
    "stats.to": ("Bis", "To"),
    "stats.show": ("Anzeigen", "Show"),
    "stats.day": ("Tag", "Day"),
    "stats.member": ("Mitglied", "Member"),
    "stats.views_given": ("gegeben", "given"),
    "stats.views_received": ("erhalten", "received"),
    "stats.clicks": ("Klicks", "Clicks"),
    "stats.blocks_viewed": ("gesehene Blöcke", "blocks viewed"),
    "stats.partner_views": ("Partneransichten", "partner views"),
    "stats.median_balance": ("Median der Bilanz", "median balance"),
    "stats.balance": ("Bilanz", "Balance"),
    "stats.bound": ("Obergrenze", "Bound"),
    "stats.even": ("1 = ausgeglichen", "1 = even"),
    "stats.exchange": ("Geben und Nehmen je Mitglied", "Given and received per member"),
    "stats.exchange_caption": (
        "Partneransichten auf den eigenen Seiten (gegeben) und auf den Seiten der anderen"
        " (erhalten).",
        "Partner views on a member's own pages (given) and on the others' pages (received).",
    ),
    "stats.balance_heading": ("Bilanz des Netzwerks", "The network's balance"),
    "stats.balance_caption": (
        "Erhalten geteilt durch gegeben; 1 ist ausgeglichen. Der Strich markiert die"
        " strukturelle Obergrenze: mehr kann ein Mitglied nicht erhalten (* unter 1).",
        "Received divided by given; 1 is even. The mark is the structural bound: a member"
        " cannot receive more (* below 1).",
    ),
    "stats.daily": ("Verlauf", "Over time"),
    "stats.daily_caption": ("Je Tag, im gewählten Zeitraum.", "Per day, in the chosen period."),
    "chart.table": ("Zahlen als Tabelle", "Figures as a table"),
    "chart.member_history.title": ("Empfehlungen von {name} je Tag", "Referrals of {name} per day"),
    "chart.member_history.desc": (
        "Liniendiagramm: insgesamt {given} gegeben und {received} erhalten.",
        "Line chart: {given} given and {received} received in total.",
    ),
    "chart.exchange.title": ("Geben und Nehmen im Thema {theme}", "Given and received in {theme}"),
    "chart.exchange.desc": (
        "Balkendiagramm: je Mitglied die gegebenen und erhaltenen Partneransichten.",
        "Bar chart: the partner views each member gave and received.",
    ),
    "chart.balance.title": ("Bilanz im Thema {theme}", "Balance in {theme}"),
    "chart.balance.desc": (
        "Balkendiagramm: erhalten geteilt durch gegeben je Mitglied, mit der Linie bei 1"
        " und der strukturellen Obergrenze als Markierung.",
        "Bar chart: received divided by given per member, with the line at 1 and the"
        " structural bound as a mark.",
    ),
    "chart.daily.title": ("Verlauf im Thema {theme}", "Over time in {theme}"),
    "chart.daily.desc": (
        "Liniendiagramm: gesehene Blöcke, Partneransichten und Klicks je Tag.",
        "Line chart: blocks viewed, partner views and clicks per day.",
    ),
    "chart.sim_ratio.title": ("Simulierte Bilanz je Mitglied", "Simulated balance per member"),
    "chart.sim_ratio.desc": (
        "Balkendiagramm: erhaltene geteilt durch gegebene Sichtbarkeit, mit der Linie bei 1"
        " und der strukturellen Obergrenze.",
        "Bar chart: exposure received divided by given, with the line at 1 and the"
        " structural bound.",
    ),
    "chart.sim_exposure.title": ("Simulierte Sichtbarkeit", "Simulated exposure"),
    "chart.sim_exposure.desc": (
        "Balkendiagramm: gegebene und erhaltene Sichtbarkeit je Mitglied.",
        "Bar chart: exposure given and received per member.",
    ),
    # simulator
    "sim.title": ("Simulator: {theme}", "Simulator: {theme}"),
    "sim.intro": (
        "Spielt Besucherzahlen mit der echten Auswahl und Bilanz durch, Tag für Tag – ohne"
        " etwas zu speichern. So sehen Sie vorher, was eine Regeländerung bewirkt.",
        "Plays traffic through the real selection and ledger, day by day – without storing"
        " anything. See what a rule change does before you make it.",
    ),
    "sim.days": ("Tage", "Days"),
    "sim.views_per_day": ("Blockansichten je Tag", "Block views per day"),
    "sim.zipf": ("Ungleichheit der Besucherzahlen", "Inequality of traffic"),
    "sim.zipf_hint": (
        "Zipf-Exponent; 1 ist typisch, 0 heißt: alle gleich.",
        "Zipf exponent; 1 is typical, 0: all equal.",
    ),
    "sim.alpha": ("α ausprobieren", "Try α"),
    "sim.alpha_hint": ("Leer: α der gespeicherten Regeln.", "Empty: α of the stored rules."),
    "sim.run": ("Simulieren", "Simulate"),
    "sim.min_ratio": ("kleinste Bilanz", "lowest ratio"),
    "sim.max_ratio": ("größte Bilanz", "highest ratio"),
    "sim.gini": ("Gini der erhaltenen Sichtbarkeit", "Gini of exposure received"),
    "sim.ratios": ("Bilanz je Mitglied", "Ratio per member"),
    "sim.ratios_caption": (
        "Gemessen über {days} Tage nach {warmup} Tagen Anlauf. Der Strich ist die"
        " strukturelle Obergrenze.",
        "Measured over {days} days after a {warmup}-day warm-up. The mark is the structural bound.",
    ),
    "sim.exposure": ("Gegebene und erhaltene Sichtbarkeit", "Exposure given and received"),
    "sim.exposure_caption": (
        "Sichtbarkeit: Platz 1 zählt 1, Platz 2 0,63, Platz 3 0,5.",
        "Exposure: place 1 counts 1, place 2 0.63, place 3 0.5.",
    ),
    "sim.views": ("Blockansichten", "Block views"),
    "sim.given": ("gegeben", "given"),
    "sim.received": ("erhalten", "received"),
    # audit log
    "audit.title": ("Protokoll", "Audit log"),
    "audit.intro": (
        "Wer hat wann was geändert: Regeln, Mitglieder, Themen (die letzten {limit} Einträge).",
        "Who changed what and when: rules, members, themes (the last {limit} entries).",
    ),
    "audit.show_all": ("Alle Einträge zeigen", "Show all entries"),
    "audit.when": ("Wann (UTC)", "When (UTC)"),
    "audit.who": ("Wer", "Who"),
    "audit.what": ("Was", "What"),
    "audit.subject": ("Betrifft", "Subject"),
    "audit.detail": ("Einzelheiten", "Details"),
    "audit.diff": ("Änderung anzeigen", "Show the change"),
    "audit.empty": ("Noch keine Änderungen.", "No changes yet."),
    "action.rules.change": ("Regeln geändert", "Rules changed"),
    "action.member.approve": ("Mitglied freigeschaltet", "Member approved"),
    "action.member.pause": ("Mitglied pausiert", "Member paused"),
    "action.member.resume": ("Mitglied wieder aktiv", "Member resumed"),
    "action.member.remove": ("Mitglied entfernt", "Member removed"),
    "action.member.edit": ("Angaben geändert", "Profile changed"),
    "action.member.domains": ("Domains geändert", "Domains changed"),
    "action.member.logo": ("Logo hochgeladen", "Logo uploaded"),
    "action.member.theme": ("Thema geändert", "Theme membership changed"),
    "action.portal.link": ("Portal-Link erstellt", "Portal link created"),
    "action.theme.create": ("Thema angelegt", "Theme created"),
    "action.theme.edit": ("Thema geändert", "Theme changed"),
}

TEXTS |= PORTAL_TEXTS  # the member portal's texts, and the admin's review of its changes

DONE_KEYS = frozenset(k.removeprefix("done.") for k in TEXTS if k.startswith("done."))

# Reasons the admin itself gives (keys), then common service messages, in German.
REASONS: dict[str, tuple[str, str]] = {
    "no_file": ("Bitte wählen Sie eine Datei.", "Please choose a file."),
    "confirm_remove": ("Bitte bestätigen Sie das Entfernen.", "Please confirm the removal."),
    "member_removed": ("Das Mitglied wurde entfernt.", "The member has been removed."),
    "slug_taken": ("Diesen Kurznamen gibt es schon.", "This slug is taken."),
    "stale": (
        "Jemand anderes hat die Regeln inzwischen geändert. Bitte laden Sie die Seite neu"
        " und übernehmen Sie Ihre Änderung noch einmal.",
        "Someone else has changed the rules meanwhile. Please reload the page and make"
        " your change again.",
    ),
    **PORTAL_REASONS,
}
_GERMAN: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), german)
    for pattern, german in (
        (r"must not be empty", "darf nicht leer sein"),
        (r"'([^']*)' is not a whole number", r"„\1“ ist keine ganze Zahl"),
        (r"'([^']*)' is not a number", r"„\1“ ist keine Zahl"),
        (r"(\S+) is not between (\S+) and (\S+)", r"\1 liegt nicht zwischen \2 und \3"),
        (r"is not an http\(s\) URL", "ist keine http(s)-Adresse"),
        (
            r"is not a slug \(.*\)",
            "ist kein gültiger Kurzname (Kleinbuchstaben, Ziffern, einzelne Bindestriche)",
        ),
        (r"is not a domain name", "ist kein Domainname"),
        (r"is not a PNG, JPEG, WebP or GIF image", "ist kein PNG-, JPEG-, WebP- oder GIF-Bild"),
        (r"is (\d+) bytes, at most (\d+) allowed", r"ist \1 Bytes groß, erlaubt sind höchstens \2"),
        (
            r"is (\d+)×(\d+) pixels; each side must be (\d+) to (\d+) pixels",
            r"ist \1×\2 Pixel groß; jede Seite muss \3 bis \4 Pixel messen",
        ),
        (
            r"is (\d+) characters long, at most (\d+) allowed",
            r"ist \1 Zeichen lang, erlaubt sind höchstens \2",
        ),
        (r"is not a known field", "ist kein bekanntes Feld"),
        (r"is not one of ", "ist keiner der Werte "),
        (r"is not a member of theme", "ist kein Mitglied des Themas"),
        (r"is not a postal code", "ist keine Postleitzahl"),
        (r"is not a date \(YYYY-MM-DD\)", "ist kein Datum (JJJJ-MM-TT)"),
        (r"is after the last day", "liegt nach dem letzten Tag"),
        (r"is more than max", "ist mehr als das Maximum"),
        (r"must be an object", "muss ein Objekt sein"),
        (r"is not true or false", "ist nicht true oder false"),
    )
)


def reason_text(lang: str, reason: str) -> str:
    """A validation message for people, in ``lang`` where we know it."""
    known = REASONS.get(reason)
    if known is not None:
        return known[1] if lang == "en" else known[0]
    if lang == "en":
        return reason
    for pattern, german in _GERMAN:
        reason = pattern.sub(german, reason)
    return reason


def translate(lang: str, key: str, **values: object) -> str:
    pair = TEXTS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**values) if values else text


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)`` bound to one language, for templates."""

    def t(key: str, **values: object) -> str:
        return translate(lang, key, **values)

    return t
