"""Texts of the member portal and of the admin's review of profile changes (German, English).

``ui_texts`` merges these into its ``TEXTS`` (and ``PORTAL_REASONS`` into its
reasons), so the portal's templates use the same ``t(key)`` as the admin's.
The step-by-step guides for site builders are longer prose with lists and
code: they live in ``templates/portal/_guides_de.html`` and ``_guides_en.html``.

Members are not technicians: short sentences, no jargon, "Sie".
"""

from __future__ import annotations

PORTAL_TEXTS: dict[str, tuple[str, str]] = {
    # frame and navigation
    "portal.product": ("Partnerkreis · Mitgliederbereich", "Partnerkreis · member area"),
    "portal.badge": ("Mitgliederbereich", "Member area"),
    "portal.footer": (
        "Partnerkreis · Fragen? Die Koordination Ihres Netzwerks hilft gern weiter.",
        "Partnerkreis · Questions? Your network's coordinators are happy to help.",
    ),
    "portal.signed_in_for": ("Angemeldet für", "Signed in for"),
    "portal.logout": ("Abmelden", "Sign out"),
    "portal_nav.label": ("Bereiche des Mitgliederbereichs", "Member area sections"),
    "portal_nav.home": ("Übersicht", "Overview"),
    "portal_nav.code": ("Block einbinden", "Add the block"),
    "portal_nav.figures": ("Ihre Zahlen", "Your figures"),
    "portal_nav.profile": ("Ihre Angaben", "Your details"),
    "portal_nav.themes": ("Teilnahme", "Participation"),
    # notices after a change
    "done.profile_saved": (
        "Ihre Angaben wurden gespeichert. Besucher sehen sie in wenigen Minuten.",
        "Your details have been saved. Visitors will see them within minutes.",
    ),
    "done.profile_pending": (
        "Danke! Ihre Änderungen wurden eingereicht und warten auf die Freigabe durch die"
        " Koordination.",
        "Thank you! Your changes have been submitted and await the coordinators' approval.",
    ),
    "done.profile_unchanged": (
        "Es gab nichts zu ändern: Ihre Angaben sind so gespeichert.",
        "There was nothing to change: your details are stored as they are.",
    ),
    "done.logo_pending": (
        "Danke! Ihr neues Logo wartet auf die Freigabe durch die Koordination.",
        "Thank you! Your new logo awaits the coordinators' approval.",
    ),
    "done.change_withdrawn": (
        "Ihre eingereichte Änderung wurde zurückgezogen.",
        "Your submitted change has been withdrawn.",
    ),
    "done.theme_paused": (
        "Ihre Teilnahme ist pausiert. Sie werden bei den anderen vorerst nicht gezeigt.",
        "Your participation is paused. The others will not show you for now.",
    ),
    "done.theme_left": (
        "Sie sind ausgetreten. Bitte entfernen Sie den Code dieses Themas von Ihrer Website.",
        "You have left. Please remove this theme's code from your website.",
    ),
    "done.change_approved": (
        "Die geänderten Angaben wurden übernommen.",
        "The changed details have been approved.",
    ),
    "done.change_rejected": (
        "Die geänderten Angaben wurden abgelehnt.",
        "The changed details have been rejected.",
    ),
    # overview
    "portal_home.title": ("Willkommen, {name}", "Welcome, {name}"),
    "portal_home.intro": (
        "Hier binden Sie den Partnerblock in Ihre Website ein, sehen, wie oft Sie empfohlen"
        " wurden, und halten Ihre Angaben aktuell.",
        "Here you add the partner block to your website, see how often you were recommended"
        " and keep your details up to date.",
    ),
    "portal_home.status.pending": (
        "Ihre Anmeldung wird noch von der Koordination geprüft. Bis zur Freigabe werden Sie"
        " auf den anderen Websites noch nicht gezeigt – Ihren Block können Sie aber schon"
        " einbinden.",
        "Your registration is still being checked by the coordinators. Until it is approved"
        " the other websites do not show you yet – but you can already add your block.",
    ),
    "portal_home.status.paused": (
        "Ihre Mitgliedschaft ist zurzeit pausiert: Die anderen Websites zeigen Sie gerade"
        " nicht. Fragen dazu beantwortet die Koordination.",
        "Your membership is paused at the moment: the other websites do not show you right"
        " now. The coordinators can answer questions about it.",
    ),
    "portal_home.change_pending": (
        "Ihre geänderten Angaben warten auf die Freigabe durch die Koordination.",
        "Your changed details await the coordinators' approval.",
    ),
    "portal_home.change_pending_link": ("Ansehen", "View"),
    "portal_home.last_days": ("Die letzten {days} Tage", "The last {days} days"),
    "portal_home.given": ("Mal haben Sie Partner gezeigt", "times you showed partners"),
    "portal_home.received": ("Mal wurden Sie bei anderen gezeigt", "times others showed you"),
    "portal_home.clicks": (
        "Besucher kamen über andere Websites zu Ihnen",
        "visitors came to you from other websites",
    ),
    "portal_home.all_figures": ("Alle Zahlen ansehen", "See all figures"),
    "portal_home.next": ("Was möchten Sie tun?", "What would you like to do?"),
    "portal_home.card.code": (
        "Den Code für Ihre Website holen – mit Anleitung für WordPress, Jimdo, Wix, IONOS"
        " und HTML, und einer Vorschau Ihres Blocks.",
        "Get the code for your website – with instructions for WordPress, Jimdo, Wix, IONOS"
        " and HTML, and a preview of your block.",
    ),
    "portal_home.card.figures": (
        "Wie oft Sie Partner gezeigt haben und wie oft Sie selbst gezeigt wurden.",
        "How often you showed partners and how often you were shown yourself.",
    ),
    "portal_home.card.profile": (
        "Name, Beschreibung, Logo und Website – so, wie Besucher Sie sehen.",
        "Name, description, logo and website – as visitors see you.",
    ),
    "portal_home.card.themes": (
        "Pausieren oder austreten: Niemand muss mitmachen, aber jeder kann.",
        "Pause or leave: nobody has to take part, but everybody can.",
    ),
    "portal_home.themes": ("Ihre Themen", "Your themes"),
    "portal_home.link_valid": (
        "Ihr persönlicher Link gilt bis {date}. Danach fragen Sie einfach die Koordination"
        " nach einem neuen.",
        "Your personal link is valid until {date}. After that, simply ask the coordinators"
        " for a new one.",
    ),
    # the code and the preview
    "portal_code.title": ("Block einbinden", "Add the block"),
    "portal_code.intro": (
        "Mit diesem Code zeigt Ihre Website einen Kasten mit Partnerbetrieben aus Ihrem"
        " Netzwerk. Sie fügen ihn einmal ein – danach wechseln die Partner von selbst.",
        "With this code your website shows a box with partner businesses from your network."
        " You paste it once – after that the partners change by themselves.",
    ),
    "portal_code.theme": ("Thema „{theme}“", "Theme “{theme}”"),
    "portal_code.snippet_label": ("Ihr Code zum Einfügen", "Your code to paste"),
    "portal_code.snippet_hint": (
        "Kopieren Sie den ganzen Code, von <script bis </noscript>. Ohne Kopier-Knopf:"
        " ins Feld klicken, Strg+A und Strg+C drücken (am Mac ⌘+A und ⌘+C).",
        "Copy the whole code, from <script to </noscript>. Without the copy button: click"
        " into the field, press Ctrl+A and Ctrl+C (on a Mac ⌘+A and ⌘+C).",
    ),
    "portal_code.copy": ("Code kopieren", "Copy code"),
    "portal_code.copied": (
        "Kopiert! Fügen Sie den Code jetzt auf Ihrer Website ein.",
        "Copied! Now paste the code into your website.",
    ),
    "portal_code.copy_failed": (
        "Das Kopieren hat nicht geklappt. Bitte markieren und kopieren Sie den Code von Hand.",
        "Copying did not work. Please select and copy the code by hand.",
    ),
    "portal_code.iframe_summary": (
        "Für Wix und Baukästen ohne Skripte: der iframe-Code",
        "For Wix and site builders without scripts: the iframe code",
    ),
    "portal_code.iframe_label": ("iframe-Code", "iframe code"),
    "portal_code.iframe_hint": (
        "Eine Zeile ohne Skript. Der Kasten ist 360 Pixel hoch; ist das zu wenig, ändern Sie"
        ' im Code height="360".',
        "One line without a script. The box is 360 pixels high; if that is too little,"
        ' change height="360" in the code.',
    ),
    "portal_code.copy_iframe": ("iframe-Code kopieren", "Copy iframe code"),
    "portal_code.address_label": ("Block-Adresse (für Wix)", "Block address (for Wix)"),
    "portal_code.copy_address": ("Adresse kopieren", "Copy address"),
    "portal_code.preview": (
        "Vorschau: So sehen Besucher Ihren Block gerade",
        "Preview: what visitors see right now",
    ),
    "portal_code.preview_hint": (
        "Die Partner wechseln alle paar Minuten, damit alle fair an die Reihe kommen. Die"
        " Vorschau zählt nicht mit.",
        "The partners change every few minutes so that everyone gets a fair turn. The"
        " preview is not counted.",
    ),
    "portal_code.preview_frame": (
        "Vorschau des Partnerblocks zum Thema {theme}",
        "Preview of the partner block for {theme}",
    ),
    "portal_code.preview_reload": ("Vorschau neu laden", "Reload the preview"),
    "portal_code.paused_note": (
        "Ihre Teilnahme an diesem Thema ist pausiert: Ihr Block zeigt weiter Partner, Sie"
        " selbst werden bei den anderen aber gerade nicht gezeigt.",
        "Your participation in this theme is paused: your block still shows partners, but"
        " the others do not show you right now.",
    ),
    "portal_code.no_themes": (
        "Sie nehmen zurzeit an keinem Thema teil, deshalb gibt es hier keinen Code. Möchten"
        " Sie (wieder) mitmachen, wenden Sie sich an die Koordination.",
        "You are not taking part in any theme at the moment, so there is no code here. If"
        " you would like to take part (again), please contact the coordinators.",
    ),
    "portal_code.guides": (
        "Schritt für Schritt: So kommt der Code auf Ihre Website",
        "Step by step: putting the code on your website",
    ),
    "portal_code.guides_intro": (
        "Wählen Sie das Programm, mit dem Ihre Website gemacht ist. Wissen Sie es nicht,"
        " fragen Sie, wer Ihre Website betreut.",
        "Choose the program your website is made with. If you do not know, ask whoever"
        " looks after your website.",
    ),
    # figures
    "portal_figures.title": ("Ihre Zahlen", "Your figures"),
    "portal_figures.intro": (
        "Partnerkreis zählt, wie oft Besucher die Partnerblöcke gesehen haben – ohne"
        " Cookies und ohne Daten über die Besucher.",
        "Partnerkreis counts how often visitors saw the partner blocks – without cookies"
        " and without any data about the visitors.",
    ),
    "portal_figures.given": (
        "Gegeben: wie oft Ihre Website Partner gezeigt hat.",
        "Given: how often your website showed partners.",
    ),
    "portal_figures.received": (
        "Erhalten: wie oft Sie auf den Websites der anderen gezeigt wurden.",
        "Received: how often you were shown on the others' websites.",
    ),
    "portal_figures.balance": (
        "Bilanz: erhalten geteilt durch gegeben. 1 heißt ausgeglichen, mehr als 1: Sie haben"
        " mehr bekommen als gegeben.",
        "Balance: received divided by given. 1 means even, more than 1: you received more"
        " than you gave.",
    ),
    "portal_figures.period": ("Zeitraum", "Period"),
    "portal_figures.days": ("Die letzten {days} Tage", "The last {days} days"),
    "portal_figures.show": ("Anzeigen", "Show"),
    "portal_figures.overview": ("Geben und Nehmen je Thema", "Given and received per theme"),
    "portal_figures.overview_caption": (
        "Partneransichten auf Ihrer Website (gegeben) und Ihre Ansichten auf den Websites der"
        " anderen (erhalten), im gewählten Zeitraum.",
        "Partner views on your website (given) and your views on the others' websites"
        " (received), in the chosen period.",
    ),
    "portal_figures.table": ("Die Zahlen im Überblick", "The figures at a glance"),
    "portal_figures.col_theme": ("Thema", "Theme"),
    "portal_figures.col_given": ("gegeben", "given"),
    "portal_figures.col_received": ("erhalten", "received"),
    "portal_figures.col_clicks_given": ("Klicks von Ihrer Seite", "clicks from your site"),
    "portal_figures.col_clicks_received": ("Klicks zu Ihnen", "clicks to you"),
    "portal_figures.col_balance": ("Bilanz", "balance"),
    "portal_figures.daily": ("Verlauf: {theme}", "Over time: {theme}"),
    "portal_figures.daily_caption": (
        "Gegeben und erhalten je Tag.",
        "Given and received per day.",
    ),
    "portal_figures.no_data": (
        "Für diesen Zeitraum gibt es noch keine Zahlen. Sobald Besucher Ihren Block oder die"
        " Blöcke der anderen sehen, erscheinen sie hier.",
        "There are no figures for this period yet. As soon as visitors see your block or"
        " the others' blocks, they appear here.",
    ),
    "chart.portal_themes.title": (
        "Geben und Nehmen von {name} je Thema",
        "Given and received by {name} per theme",
    ),
    "chart.portal_themes.desc": (
        "Balkendiagramm: je Thema die gegebenen und erhaltenen Partneransichten.",
        "Bar chart: the partner views given and received in each theme.",
    ),
    "chart.portal_daily.title": ("Verlauf im Thema {theme}", "Over time in {theme}"),
    "chart.portal_daily.desc": (
        "Liniendiagramm: insgesamt {given} gegeben und {received} erhalten.",
        "Line chart: {given} given and {received} received in total.",
    ),
    # profile
    "portal_profile.title": ("Ihre Angaben", "Your details"),
    "portal_profile.intro": (
        "So erscheinen Sie in den Partnerblöcken der anderen und im Verzeichnis.",
        "This is how you appear in the others' partner blocks and in the directory.",
    ),
    "portal_profile.approval_note": (
        "In Ihrem Netzwerk prüft die Koordination Änderungen, bevor Besucher sie sehen.",
        "In your network the coordinators check changes before visitors see them.",
    ),
    "portal_profile.direct_note": (
        "Änderungen sind nach dem Speichern innerhalb weniger Minuten überall zu sehen.",
        "After saving, changes show everywhere within a few minutes.",
    ),
    "portal_profile.save": ("Angaben speichern", "Save details"),
    "portal_profile.submit": ("Zur Freigabe einreichen", "Submit for approval"),
    "portal_profile.pending_title": ("Wartet auf Freigabe", "Awaiting approval"),
    "portal_profile.pending_text": (
        "Sie haben am {at} Änderungen eingereicht. Bis die Koordination sie freigibt, sehen"
        " Besucher Ihre bisherigen Angaben. Im Formular unten stehen schon die neuen.",
        "You submitted changes on {at}. Until the coordinators approve them, visitors see"
        " your previous details. The form below already shows the new ones.",
    ),
    "portal_profile.field": ("Angabe", "Detail"),
    "portal_profile.before": ("Bisher", "Before"),
    "portal_profile.after": ("Neu", "New"),
    "portal_profile.withdraw": ("Änderung zurückziehen", "Withdraw the change"),
    "portal_profile.logo_pending": (
        "Neues Logo, wartet auf Freigabe",
        "New logo, awaiting approval",
    ),
    "portal_profile.logo_new": ("neues Logo", "new logo"),
    "portal_profile.logo_intro": (
        "Ihr Logo erscheint in den Partnerblöcken neben Ihrem Namen. Ohne Logo steht dort"
        " Ihr Anfangsbuchstabe.",
        "Your logo appears next to your name in the partner blocks. Without a logo, your"
        " initial is shown.",
    ),
    "portal_profile.logo_submit": ("Logo hochladen", "Upload logo"),
    "portal_profile.logo_submit_approval": (
        "Logo zur Freigabe einreichen",
        "Submit logo for approval",
    ),
    "portal_profile.other": (
        "Branche und Ort ändert die Koordination für Sie: {category}, {town}.",
        "The coordinators change your category and town for you: {category}, {town}.",
    ),
    # participation
    "portal_themes.title": ("Teilnahme", "Participation"),
    "portal_themes.intro": (
        "Niemand muss mitmachen, aber jeder kann. Hier pausieren Sie Ihre Teilnahme an einem"
        " Thema oder treten aus.",
        "Nobody has to take part, but everybody can. Here you pause your participation in a"
        " theme or leave it.",
    ),
    "portal_themes.active_text": (
        "Sie machen mit: Ihre Website zeigt Partner, und die anderen zeigen Sie.",
        "You take part: your website shows partners, and the others show you.",
    ),
    "portal_themes.paused_text": (
        "Pausiert: Die anderen zeigen Sie gerade nicht. Um wieder mitzumachen, genügt eine"
        " kurze Nachricht an die Koordination.",
        "Paused: the others do not show you right now. To take part again, a short message"
        " to the coordinators is enough.",
    ),
    "portal_themes.left_text": (
        "Ausgetreten. Möchten Sie wieder mitmachen, wenden Sie sich an die Koordination.",
        "Left. If you would like to take part again, please contact the coordinators.",
    ),
    "portal_themes.pending_text": (
        "Die Koordination prüft Ihre Teilnahme an diesem Thema noch.",
        "The coordinators are still checking your participation in this theme.",
    ),
    "portal_themes.pause": ("Pausieren", "Pause"),
    "portal_themes.pause_hint": (
        "Zum Beispiel im Urlaub: Solange pausiert ist, werden Sie auf den Websites der"
        " anderen nicht gezeigt. Ihr eigener Block zeigt weiter Partner.",
        "For example during holidays: while paused, the others' websites do not show you."
        " Your own block still shows partners.",
    ),
    "portal_themes.leave": ("Austreten", "Leave"),
    "portal_themes.leave_hint": (
        "Sie werden in diesem Thema nicht mehr gezeigt. Entfernen Sie danach bitte auch den"
        " Code von Ihrer Website. Wieder eintreten geht über die Koordination.",
        "You will no longer be shown in this theme. Please also remove the code from your"
        " website afterwards. To join again, contact the coordinators.",
    ),
    "portal_themes.confirm_leave": (
        "Ja, ich möchte aus „{theme}“ austreten",
        "Yes, I want to leave “{theme}”",
    ),
    "portal_themes.none": ("Sie sind in keinem Thema.", "You are in no theme."),
    # links and sessions
    "portal_link.expired.title": ("Dieser Link ist abgelaufen", "This link has expired"),
    "portal_link.expired.text": (
        "Aus Sicherheitsgründen gilt jeder Link zum Mitgliederbereich nur eine Zeit lang."
        " Bitte fragen Sie die Koordination Ihres Netzwerks nach einem neuen Link.",
        "For your security, every link to the member area is valid for a limited time only."
        " Please ask your network's coordinators for a new link.",
    ),
    "portal_link.invalid.title": ("Dieser Link funktioniert nicht", "This link does not work"),
    "portal_link.invalid.text": (
        "Vielleicht wurde er beim Kopieren abgeschnitten. Öffnen Sie ihn am besten direkt aus"
        " der Nachricht der Koordination – oder fragen Sie dort nach einem neuen Link.",
        "Perhaps it was cut off when it was copied. Best open it straight from the"
        " coordinators' message – or ask them for a new link.",
    ),
    "portal_link.removed.title": ("Kein Zugang mehr", "No access any more"),
    "portal_link.removed.text": (
        "Ihr Betrieb ist nicht mehr Mitglied in diesem Netzwerk. Bei Fragen wenden Sie sich"
        " bitte an die Koordination.",
        "Your business is no longer a member of this network. If you have questions,"
        " please contact the coordinators.",
    ),
    "portal_link.signed_out.title": (
        "Bitte öffnen Sie Ihren persönlichen Link",
        "Please open your personal link",
    ),
    "portal_link.signed_out.text": (
        "Der Mitgliederbereich öffnet sich mit dem persönlichen Link, den Sie von der"
        " Koordination bekommen haben. Ist Ihre Sitzung abgelaufen, öffnen Sie den Link"
        " einfach noch einmal. Ist auch der Link abgelaufen, fragen Sie die Koordination"
        " nach einem neuen.",
        "The member area opens with the personal link you got from the coordinators. If"
        " your session has ended, simply open the link again. If the link has expired too,"
        " ask the coordinators for a new one.",
    ),
    "portal_link.logged_out.title": ("Sie sind abgemeldet", "You are signed out"),
    "portal_link.logged_out.text": (
        "Bis bald! Mit Ihrem persönlichen Link kommen Sie wieder herein, solange er gilt.",
        "See you soon! Your personal link lets you back in for as long as it is valid.",
    ),
    "portal_link.why": (
        "Warum ein Link statt eines Passworts? So müssen Sie sich nichts merken, und nur wer"
        " den Link hat, sieht Ihre Angaben. Geben Sie ihn deshalb nicht weiter.",
        "Why a link instead of a password? You need not remember anything, and only whoever"
        " has the link sees your details. So please do not pass it on.",
    ),
    "portal_error.home": ("Zur Übersicht", "Back to the overview"),
    # the admin's review of portal changes
    "changes.heading": ("Geänderte Angaben prüfen", "Review changed details"),
    "changes.none": (
        "Keine geänderten Angaben warten auf Freigabe.",
        "No changed details await approval.",
    ),
    "changes.intro": (
        "Mitglieder haben im Mitgliederbereich neue Angaben eingereicht. Sichtbar werden sie"
        " erst, wenn Sie sie übernehmen.",
        "Members have submitted new details in the member area. They become visible only"
        " once you approve them.",
    ),
    "changes.submitted": ("eingereicht am {at} (UTC)", "submitted at {at} (UTC)"),
    "changes.approve": ("Übernehmen", "Approve"),
    "changes.reject": ("Ablehnen", "Reject"),
    "changes.logo": ("Logo", "Logo"),
    "changes.logo_alt": ("Neues Logo von {name}", "New logo of {name}"),
    "changes.empty_value": ("(leer)", "(empty)"),
    "action.profile.submit": ("Angaben zur Freigabe eingereicht", "Details submitted for approval"),
    "action.profile.approve": ("Geänderte Angaben übernommen", "Changed details approved"),
    "action.profile.reject": ("Geänderte Angaben abgelehnt", "Changed details rejected"),
    "action.profile.withdraw": (
        "Eingereichte Angaben zurückgezogen",
        "Submitted details withdrawn",
    ),
    # the theme setting in the rules editor
    "knob.portal.approve_profile_changes": (
        "Geänderte Angaben der Mitglieder erst nach Freigabe zeigen",
        "Show members' changed details only after approval",
    ),
    "knob_hint.portal.approve_profile_changes": (
        "Änderungen aus dem Mitgliederbereich (Name, Beschreibung, Logo, Website) warten dann"
        " auf Ihre Freigabe.",
        "Changes from the member area (name, description, logo, website) then wait for your"
        " approval.",
    ),
}

PORTAL_REASONS: dict[str, tuple[str, str]] = {
    "confirm_leave": (
        "Bitte bestätigen Sie, dass Sie austreten möchten.",
        "Please confirm that you want to leave.",
    ),
    "unknown_theme": (
        "Dieses Thema gibt es in Ihrem Mitgliederbereich nicht.",
        "This theme is not in your member area.",
    ),
    "not_allowed": (
        "Das geht nur über die Koordination.",
        "Only the coordinators can do that.",
    ),
    "stale_change": (
        "Das Mitglied hat die Änderung inzwischen noch einmal geändert. Bitte prüfen Sie die"
        " neue Fassung.",
        "The member has changed the submission meanwhile. Please review the new version.",
    ),
    "no_change": (
        "Diese Änderung gibt es nicht mehr.",
        "This change does not exist any more.",
    ),
}
