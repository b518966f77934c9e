"""Content of the demo network started by ``widget-server demo``.

Pure data: two themes around Heide (Holstein) and fictional member
businesses with everything needed to render an example website for each of
them at ``/demo/site/{slug}``. All businesses, people, websites and phone
numbers are invented; websites use the reserved ``.example`` TLD and the phone
numbers begin with a 0 after the area code, which no real subscriber has.

``site["look"]`` names a stylesheet in ``static/demo/`` (one of ``LOOKS``) and
``site["accent"]`` an ``.accent-*`` class defined in ``static/demo/base.css``
(one of ``ACCENTS``), so the demo pages need no inline styles.
"""

from __future__ import annotations

from typing import Any

LOOKS: tuple[str, ...] = ("elegant", "rustic", "modern", "playful", "classic")

ACCENTS: tuple[str, ...] = (
    "rose",
    "gold",
    "bordeaux",
    "plum",
    "terracotta",
    "forest",
    "mustard",
    "sage",
    "teal",
    "coral",
    "navy",
    "berry",
    "sky",
    "ocean",
    "petrol",
)

WEDDING = "hochzeit-heide"
TOWN_CENTRE = "heide-innenstadt"

THEMES: tuple[dict[str, Any], ...] = (
    {
        "slug": WEDDING,
        "name_de": "Hochzeit",
        "name_en": "Wedding",
        "description_de": (
            "Alles für den schönsten Tag: Brautmode, Trauringe, Blumen, Torte, Fotografie "
            "und Festscheune – von Betrieben aus Heide, die sich kennen und gern "
            "zusammenarbeiten."
        ),
        "description_en": (
            "Everything for the big day: bridal wear, wedding rings, flowers, cake, "
            "photography and a venue – from businesses in Heide who know each other and "
            "like working together."
        ),
        "kind": "topic",
        "intro_de": (
            "Wer in Dithmarschen heiratet, muss nicht alles einzeln zusammensuchen. Wir sind "
            "Betriebe aus Heide und Umgebung, die seit Jahren gemeinsam Hochzeiten ausstatten "
            "– vom Kleid über die Ringe bis zur Torte.\n\n"
            "Wir empfehlen einander, weil wir die Arbeit der anderen kennen. Fragen Sie "
            "ruhig bei einem von uns nach: Wir sagen Ihnen, wer sonst noch helfen kann."
        ),
        "intro_en": (
            "Getting married in Dithmarschen? You need not find everything one by one. We "
            "are businesses from Heide and around who have fitted out weddings together for "
            "years – from the dress and the rings to the cake.\n\n"
            "We recommend each other because we know each other's work. Ask any of us: we "
            "will tell you who else can help."
        ),
    },
    {
        "slug": TOWN_CENTRE,
        "name_de": "Heide Innenstadt",
        "name_en": "Heide town centre",
        "description_de": (
            "Inhabergeführte Geschäfte rund um den Heider Marktplatz, den größten "
            "unbebauten Marktplatz Deutschlands – persönlich beraten, alles zu Fuß erreichbar."
        ),
        "description_en": (
            "Owner-run shops around the Marktplatz of Heide, Germany's largest undeveloped "
            "market square – personal advice, everything within walking distance."
        ),
        "kind": "local",
        "intro_de": (
            "Rund um den Marktplatz finden Sie, was kein Versandhandel bietet: Beratung von "
            "Menschen, die ihr Geschäft selbst führen. Wir stellen uns hier gemeinsam vor."
        ),
        "intro_en": (
            "Around the market square you find what no mail order offers: advice from people "
            "who run their shop themselves. Here we introduce ourselves together."
        ),
    },
)


def _domains(host: str) -> list[str]:
    return [host, f"www.{host}"]


MEMBERS: tuple[dict[str, Any], ...] = (
    # --- wedding cluster only -------------------------------------------------
    {
        "slug": "brautmoden-carstens",
        "name": "Brautmoden Carstens",
        "category": "bridal-wear",
        "description": (
            "Brautkleider, Anzüge und Accessoires mit persönlicher Beratung nach Termin – "
            "seit über 30 Jahren in der Heider Innenstadt."
        ),
        "town": "Heide",
        "postal_code": "25746",
        "street": "Friedrichstraße 14",
        "phone": "0481 000 101",
        "website": "https://brautmoden-carstens.example",
        "domains": _domains("brautmoden-carstens.example"),
        "themes": [WEDDING],
        "site": {
            "look": "elegant",
            "accent": "rose",
            "tagline": "Ihr Kleid für den schönsten Tag",
            "intro": (
                "In unserem Atelier in der Friedrichstraße nehmen wir uns Zeit für Sie: Bei "
                "einem Glas Sekt probieren Sie in Ruhe Brautkleider von klassisch bis Boho – "
                "begleitet von den Menschen, die Ihnen wichtig sind. Änderungen fertigt unsere "
                "Schneiderin direkt im Haus."
            ),
            "services": [
                "Brautkleider in den Größen 34 bis 54",
                "Anzüge für Bräutigam und Trauzeugen",
                "Schleier, Schuhe und Accessoires",
                "Änderungsschneiderei im Haus",
            ],
            "opening_hours": [
                "Di–Fr 10:00–18:00 Uhr",
                "Sa 10:00–15:00 Uhr",
                "Anprobe nur nach Terminvereinbarung",
            ],
        },
    },
    {
        "slug": "kuestenkueche-boie",
        "name": "Küstenküche Boie",
        "category": "catering",
        "description": (
            "Catering und Partyservice aus Dithmarschen: regionale Buffets, Menüs und "
            "Fingerfood für Hochzeiten und Feiern von 20 bis 250 Gästen."
        ),
        "town": "Heide",
        "postal_code": "25746",
        "street": "Hamburger Straße 88",
        "phone": "0481 000 102",
        "website": "https://kuestenkueche-boie.example",
        "domains": _domains("kuestenkueche-boie.example"),
        "themes": [WEDDING],
        "site": {
            "look": "rustic",
            "accent": "terracotta",
            "tagline": "Ehrlich gekocht – mit dem, was Dithmarschen hergibt",
            "intro": (
                "Wir kochen mit Kohl von den Feldern rund um Heide, Lamm vom Deich und Krabben "
                "aus Büsum. Ob deftiges Buffet in der Scheune oder festliches Menü mit Service: "
                "Wir planen Ihre Feier gemeinsam mit Ihnen – Probeessen inklusive."
            ),
            "services": [
                "Hochzeitsbuffets und gesetzte Menüs",
                "Fingerfood und Sektempfang",
                "Servicepersonal und Geschirrverleih",
                "Vegetarische und vegane Küche",
            ],
            "opening_hours": [
                "Büro: Mo–Fr 9:00–16:00 Uhr",
                "Probeessen nach Vereinbarung",
            ],
        },
    },
    {
        "slug": "festscheune-wulfshof",
        "name": "Festscheune Wulfshof",
        "category": "venue",
        "description": (
            "Reetgedeckte Festscheune am Stadtrand von Heide für Hochzeiten bis 180 Gäste, "
            "mit Gartenwiese für freie Trauungen und eigenem Parkplatz."
        ),
        "town": "Heide",
        "postal_code": "25746",
        "street": "Loher Weg 61",
        "phone": "0481 000 103",
        "website": "https://wulfshof-heide.example",
        "domains": _domains("wulfshof-heide.example"),
        "themes": [WEDDING],
        "site": {
            "look": "rustic",
            "accent": "forest",
            "tagline": "Feiern unter Reet – mitten in Dithmarschen",
            "intro": (
                "Unsere Scheune von 1887 haben wir behutsam zur Festscheune umgebaut: hohe "
                "Balken, Lichterketten, ein großer Tanzboden und draußen die Wiese mit alten "
                "Eichen für Ihre freie Trauung. Catering, Blumen und Musik bringen Sie mit – "
                "oder Sie fragen unsere Partner aus Heide."
            ),
            "services": [
                "Festsaal für 40 bis 180 Gäste",
                "Freie Trauung auf der Gartenwiese",
                "Brautzimmer und Lounge am Kamin",
                "Gästehaus mit 12 Betten",
            ],
            "opening_hours": [
                "Besichtigung nach Vereinbarung",
                "Telefon: Mo–Sa 10:00–18:00 Uhr",
            ],
        },
    },
    {
        "slug": "hochzeitsautos-thiessen",
        "name": "Hochzeitsautos Thießen",
        "category": "wedding-car",
        "description": (
            "Oldtimer mit Chauffeur für Ihre Hochzeit: ein weißes Cabriolet von 1969 und eine "
            "Limousine von 1972, festlich geschmückt und startklar."
        ),
        "town": "Heide",
        "postal_code": "25746",
        "street": "Rüsdorfer Straße 17",
        "phone": "0481 000 104",
        "website": "https://hochzeitsautos-thiessen.example",
        "domains": _domains("hochzeitsautos-thiessen.example"),
        "themes": [WEDDING],
        "site": {
            "look": "modern",
            "accent": "navy",
            "tagline": "Stilvoll vorfahren.",
            "intro": (
                "Ein Oldtimer macht schon den Weg zur Trauung zum Erlebnis. Wir chauffieren Sie "
                "im weißen Cabriolet von 1969 oder in der dunkelblauen Limousine von 1972 – mit "
                "Blumenschmuck, Sekt im Kühler und genug Zeit für Fotos unterwegs."
            ),
            "services": [
                "Chauffeurservice zur Trauung und Feier",
                "Fotoshooting am Fahrzeug",
                "Blumenschmuck in Absprache mit Ihrer Floristin",
                "Unterwegs in Dithmarschen und Nordfriesland",
            ],
            "opening_hours": [
                "Anfragen jederzeit per Telefon",
                "Persönlich erreichbar Mo–Fr 17:00–19:00 Uhr",
            ],
        },
    },
    {
        "slug": "fotografie-brandt",
        "name": "Anna Brandt Fotografie",
        "category": "photography",
        "description": (
            "Natürliche Hochzeitsreportagen und Paarshootings an Deich, Watt und Marktplatz – "
            "unaufgeregt, herzlich und ohne steife Posen."
        ),
        "town": "Heide",
        "postal_code": "25746",
        "street": "Süderstraße 5",
        "phone": "0481 000 105",
        "website": "https://annabrandt-fotografie.example",
        "domains": _domains("annabrandt-fotografie.example"),
        "themes": [WEDDING],
        "site": {
            "look": "modern",
            "accent": "teal",
            "tagline": "Echte Momente statt steifer Posen.",
            "intro": (
                "Ich begleite Ihren Hochzeitstag vom Getting Ready bis zum ersten Tanz – "
                "zurückhaltend, aufmerksam und mit einem Blick für die kleinen Dinge. Im "
                "Vorgespräch lernen wir uns kennen, und auf Wunsch fotografiere ich Sie vorab "
                "beim Paarshooting an der Nordseeküste."
            ),
            "services": [
                "Hochzeitsreportage ab 4 Stunden",
                "Paarshooting an Deich und Watt",
                "Online-Galerie und Fotobuch",
                "Porträtstudio in der Süderstraße",
            ],
            "opening_hours": [
                "Studio: Di und Do 14:00–18:00 Uhr",
                "Sonst nach Vereinbarung",
            ],
        },
    },
    {
        "slug": "haarwerk-heide",
        "name": "Haarwerk Heide",
        "category": "hairdresser",
        "description": (
            "Friseursalon mit Brautstyling: Probetermin, Hochsteckfrisur und Make-up am "
            "Hochzeitsmorgen – im Salon oder bei Ihnen zu Hause."
        ),
        "town": "Heide",
        "postal_code": "25746",
        "street": "Österstraße 9",
        "phone": "0481 000 106",
        "website": "https://haarwerk-heide.example",
        "domains": _domains("haarwerk-heide.example"),
        "themes": [WEDDING],
        "site": {
            "look": "modern",
            "accent": "coral",
            "tagline": "Ihr Look. Ihr Tag.",
            "intro": (
                "Wir sind ein Team aus vier Friseurinnen und einer Visagistin. Für Bräute "
                "nehmen wir uns beim Probetermin ausführlich Zeit, damit am Hochzeitsmorgen "
                "alles sitzt – bei uns im Salon oder bei Ihnen vor Ort."
            ),
            "services": [
                "Brautfrisur mit Probetermin",
                "Braut-Make-up und Styling für Trauzeuginnen",
                "Schnitt und Farbe für Damen und Herren",
                "Mobiler Service am Hochzeitsmorgen",
            ],
            "opening_hours": [
                "Di–Fr 9:00–18:30 Uhr",
                "Sa 8:00–14:00 Uhr",
                "Brautstyling sonntags nach Absprache",
            ],
        },
    },
    # --- in both clusters -----------------------------------------------------
    {
        "slug": "blumenhaus-am-markt",
        "name": "Blumenhaus am Markt",
        "category": "flowers",
        "description": (
            "Brautsträuße, Tisch- und Kirchenschmuck und frische Blumen für jeden Tag – "
            "direkt am Heider Marktplatz, mit Lieferservice."
        ),
        "town": "Heide",
        "postal_code": "25746",
        "street": "Markt 23",
        "phone": "0481 000 107",
        "website": "https://blumenhaus-am-markt.example",
        "domains": _domains("blumenhaus-am-markt.example"),
        "themes": [WEDDING, TOWN_CENTRE],
        "site": {
            "look": "playful",
            "accent": "berry",
            "tagline": "Blumen, die Geschichten erzählen",
            "intro": (
                "Seit drei Generationen binden wir am Heider Markt Sträuße für alle Anlässe. "
                "Für Ihre Hochzeit beraten wir Sie zu Brautstrauß, Anstecker, Tischdeko und "
                "Kirchenschmuck – gern auch direkt in Ihrer Location."
            ),
            "services": [
                "Brautsträuße und Anstecker",
                "Tisch-, Kirchen- und Autoschmuck",
                "Saisonale Sträuße und Topfpflanzen",
                "Trauerfloristik",
                "Lieferservice in Heide und Umgebung",
            ],
            "opening_hours": [
                "Mo–Fr 8:30–18:00 Uhr",
                "Sa 8:00–13:00 Uhr",
            ],
        },
    },
    {
        "slug": "konditorei-rathje",
        "name": "Konditorei & Café Rathje",
        "category": "confectioner",
        "description": (
            "Hochzeitstorten nach Ihren Wünschen, Friesentorte und hausgemachte Pralinen – "
            "dazu Kaffee mit Blick auf den Heider Marktplatz."
        ),
        "town": "Heide",
        "postal_code": "25746",
        "street": "Markt 48",
        "phone": "0481 000 108",
        "website": "https://cafe-rathje.example",
        "domains": _domains("cafe-rathje.example"),
        "themes": [WEDDING, TOWN_CENTRE],
        "site": {
            "look": "elegant",
            "accent": "gold",
            "tagline": "Handgemacht am Markt – seit 1958",
            "intro": (
                "In unserer Backstube entstehen jeden Morgen Torten, Kuchen und Pralinen nach "
                "Familienrezepten. Ihre Hochzeitstorte planen wir bei einer Verkostung im Café "
                "– vom schlichten Naked Cake bis zur fünfstöckigen Festtorte."
            ),
            "services": [
                "Hochzeits- und Motivtorten",
                "Friesentorte und Butterkuchen",
                "Hausgemachte Pralinen als Gastgeschenk",
                "Café mit Terrasse zum Markt",
            ],
            "opening_hours": [
                "Mo–Sa 8:00–18:00 Uhr",
                "So 13:00–18:00 Uhr",
            ],
        },
    },
    {
        "slug": "goldschmiede-peters",
        "name": "Goldschmiede Peters",
        "category": "jeweller",
        "description": (
            "Trauringe aus eigener Werkstatt, Schmuckreparaturen und Umarbeitungen – "
            "Meisterbetrieb in der Heider Innenstadt."
        ),
        "town": "Heide",
        "postal_code": "25746",
        "street": "Große Westerstraße 3",
        "phone": "0481 000 109",
        "website": "https://goldschmiede-peters.example",
        "domains": _domains("goldschmiede-peters.example"),
        "themes": [WEDDING, TOWN_CENTRE],
        "site": {
            "look": "classic",
            "accent": "gold",
            "tagline": "Trauringe, so einzigartig wie Sie",
            "intro": (
                "In unserer Werkstatt entstehen Trauringe aus Gold, Platin und recyceltem "
                "Silber – auf Wunsch auch aus dem Schmuck Ihrer Familie. Beim Trauring-Workshop "
                "schmieden Sie Ihre Ringe unter Anleitung selbst."
            ),
            "services": [
                "Trauringe und Verlobungsringe nach Maß",
                "Trauring-Workshop für Paare",
                "Gravuren, Reparaturen und Umarbeitungen",
                "Ankauf von Altgold",
            ],
            "opening_hours": [
                "Di–Fr 10:00–13:00 und 14:00–18:00 Uhr",
                "Sa 10:00–14:00 Uhr",
            ],
        },
    },
    # --- town centre cluster only -----------------------------------------------
    {
        "slug": "heider-buecherstube",
        "name": "Heider Bücherstube",
        "category": "bookshop",
        "description": (
            "Unabhängige Buchhandlung mit Lesecke, plattdeutscher Literatur und Bestellservice "
            "– bis 17 Uhr bestellt, am nächsten Morgen abholbereit."
        ),
        "town": "Heide",
        "postal_code": "25746",
        "street": "Friedrichstraße 41",
        "phone": "0481 000 110",
        "website": "https://heider-buecherstube.example",
        "domains": _domains("heider-buecherstube.example"),
        "themes": [TOWN_CENTRE],
        "site": {
            "look": "elegant",
            "accent": "bordeaux",
            "tagline": "Bücher, Beratung und ein Platz zum Schmökern",
            "intro": (
                "Zwischen Kinderbuch und Krimi, Reiseführer und Klaus Groth finden Sie bei uns "
                "sorgfältig ausgewählte Bücher – und Menschen, die sie gelesen haben. Einmal im "
                "Monat laden wir zur Lesung in unsere Lesecke."
            ),
            "services": [
                "Persönliche Buchempfehlungen",
                "Bestellservice über Nacht",
                "Plattdeutsche und regionale Literatur",
                "Lesungen und Bücherkisten für Schulen",
            ],
            "opening_hours": [
                "Mo–Fr 9:00–18:30 Uhr",
                "Sa 9:00–16:00 Uhr",
            ],
        },
    },
    {
        "slug": "baeckerei-claussen",
        "name": "Bäckerei Claußen",
        "category": "bakery",
        "description": (
            "Handwerksbäckerei mit Sauerteigbroten, Rundstücken und Butterkuchen aus eigener "
            "Backstube – ab 6:30 Uhr frisch in der Süderstraße."
        ),
        "town": "Heide",
        "postal_code": "25746",
        "street": "Süderstraße 21",
        "phone": "0481 000 111",
        "website": "https://baeckerei-claussen.example",
        "domains": _domains("baeckerei-claussen.example"),
        "themes": [TOWN_CENTRE],
        "site": {
            "look": "rustic",
            "accent": "mustard",
            "tagline": "Backen wie früher – mit Zeit und Sauerteig",
            "intro": (
                "Unsere Teige bekommen Zeit: Das Roggenbrot reift über Nacht, und unseren "
                "Sauerteig führen wir seit Jahrzehnten weiter. Das Mehl kommt aus einer Mühle in "
                "Schleswig-Holstein, und um halb sieben liegen die ersten Rundstücke in der "
                "Auslage."
            ),
            "services": [
                "Sauerteig- und Vollkornbrote",
                "Rundstücke und Franzbrötchen",
                "Butterkuchen und Blechkuchen",
                "Frühstück zum Mitnehmen",
            ],
            "opening_hours": [
                "Mo–Fr 6:30–18:00 Uhr",
                "Sa 6:30–13:00 Uhr",
                "So 8:00–11:00 Uhr",
            ],
        },
    },
    {
        "slug": "modehaus-wittmaack",
        "name": "Modehaus Wittmaack",
        "category": "fashion",
        "description": (
            "Damen- und Herrenmode in dritter Generation: ausgewählte Marken, ehrliche Beratung "
            "und kostenlose Änderungen beim Kauf."
        ),
        "town": "Heide",
        "postal_code": "25746",
        "street": "Friedrichstraße 5",
        "phone": "0481 000 112",
        "website": "https://modehaus-wittmaack.example",
        "domains": _domains("modehaus-wittmaack.example"),
        "themes": [TOWN_CENTRE],
        "site": {
            "look": "classic",
            "accent": "petrol",
            "tagline": "Gut angezogen in Heide – seit 1949",
            "intro": (
                "Bei uns finden Sie Mode für Alltag, Beruf und besondere Anlässe – von der Jeans "
                "bis zum Sakko. Wir beraten ehrlich, nehmen uns Zeit für die Anprobe und kürzen "
                "Ihre neue Hose auf Wunsch bis zum nächsten Tag."
            ),
            "services": [
                "Damenmode auf zwei Etagen",
                "Herrenmode und Anlassmode",
                "Änderungsservice im Haus",
                "Kundenkarte mit Geburtstagsgutschein",
            ],
            "opening_hours": [
                "Mo–Fr 9:30–18:30 Uhr",
                "Sa 9:30–16:00 Uhr",
            ],
        },
    },
    {
        "slug": "optik-ehlers",
        "name": "Optik Ehlers",
        "category": "optician",
        "description": (
            "Augenoptik-Meisterbetrieb am Markt: Sehtest, Brillen, Kontaktlinsen und "
            "Sportbrillen – mit Werkstatt für schnelle Reparaturen."
        ),
        "town": "Heide",
        "postal_code": "25746",
        "street": "Markt 11",
        "phone": "0481 000 113",
        "website": "https://optik-ehlers.example",
        "domains": _domains("optik-ehlers.example"),
        "themes": [TOWN_CENTRE],
        "site": {
            "look": "classic",
            "accent": "ocean",
            "tagline": "Gut sehen. Gut aussehen.",
            "intro": (
                "Seit 1921 sorgen wir in Heide für den richtigen Durchblick. Wir messen Ihre "
                "Augen mit moderner Technik, beraten Sie zu Fassungen, die wirklich zu Ihnen "
                "passen, und reparieren kleine Schäden oft, während Sie warten."
            ),
            "services": [
                "Sehtest und Augenglasbestimmung",
                "Brillen und Sonnenbrillen mit Sehstärke",
                "Kontaktlinsenanpassung",
                "Reparaturen in eigener Werkstatt",
            ],
            "opening_hours": [
                "Mo–Fr 9:00–18:00 Uhr",
                "Sa 9:00–13:00 Uhr",
            ],
        },
    },
    {
        "slug": "spielkiste-heide",
        "name": "Spielkiste Heide",
        "category": "toys",
        "description": (
            "Spielwarenladen mit Holzspielzeug, Brettspielen, Bastelbedarf und einer Spielecke, "
            "in der Kinder alles in Ruhe ausprobieren dürfen."
        ),
        "town": "Heide",
        "postal_code": "25746",
        "street": "Norderstraße 14",
        "phone": "0481 000 114",
        "website": "https://spielkiste-heide.example",
        "domains": _domains("spielkiste-heide.example"),
        "themes": [TOWN_CENTRE],
        "site": {
            "look": "playful",
            "accent": "sky",
            "tagline": "Hier darf gespielt werden!",
            "intro": (
                "Bei uns wird nicht nur verkauft, sondern ausprobiert: In der Spielecke warten "
                "Murmelbahn, Kaufladen und die neuesten Brettspiele. Wir beraten Eltern, "
                "Großeltern und Paten gern – und packen Geschenke kostenlos ein."
            ),
            "services": [
                "Holzspielzeug und Kleinkindspielzeug",
                "Brett- und Kartenspiele für jedes Alter",
                "Bastel- und Malbedarf",
                "Geburtstagskisten zum Zusammenstellen",
            ],
            "opening_hours": [
                "Mo–Fr 9:30–18:00 Uhr",
                "Sa 9:30–15:00 Uhr",
            ],
        },
    },
    {
        "slug": "feinkost-kroeger",
        "name": "Feinkost Kröger",
        "category": "deli",
        "description": (
            "Dithmarscher Spezialitäten, Käse, Wein und Präsentkörbe – mit Probierstand am "
            "Samstag und Geschenkservice für Firmen und Feiern."
        ),
        "town": "Heide",
        "postal_code": "25746",
        "street": "Österstraße 3",
        "phone": "0481 000 115",
        "website": "https://feinkost-kroeger.example",
        "domains": _domains("feinkost-kroeger.example"),
        "themes": [TOWN_CENTRE],
        "site": {
            "look": "rustic",
            "accent": "sage",
            "tagline": "Das Beste aus Dithmarschen – und ein bisschen aus der Welt",
            "intro": (
                "Krabbensalat aus Büsum, Kohlwurst, Käse von Höfen aus der Region und Weine, die "
                "wir selbst probiert haben: Bei uns finden Sie Feines für jeden Tag und für "
                "besondere Anlässe. Präsentkörbe stellen wir nach Ihren Wünschen zusammen."
            ),
            "services": [
                "Käse- und Wursttheke",
                "Weine aus Europa, Spirituosen aus dem Norden",
                "Präsentkörbe und Gastgeschenke",
                "Feinkostplatten für Feiern",
            ],
            "opening_hours": [
                "Mo–Fr 9:00–18:30 Uhr",
                "Sa 9:00–14:00 Uhr",
            ],
        },
    },
)

# Joint events of the demo (issue 18): seeded a few weeks ahead of the day the demo is
# made, on the weekday given (0 = Monday), at local times of the network's zone.
EVENTS: tuple[dict[str, Any], ...] = (
    {
        "title": "Hochzeitsmesse in der Festscheune",
        "theme": WEDDING,
        "weeks_ahead": 4,
        "weekday": 6,
        "starts": "10:00",
        "ends": "17:00",
        "description": (
            "Brautmode zum Anprobieren, Trauringe, Tortenproben und Blumenschmuck: die "
            "Hochzeitsbetriebe aus Heide zeigen an einem Tag, was sie gemeinsam können.\n"
            "Um 14 Uhr Modenschau, danach Fotoshooting im Scheunengarten."
        ),
        "place_name": "Festscheune Wulfshof",
        "street": "Wulfshof 1",
        "postal_code": "25746",
        "town": "Heide",
        "registration": "festscheune-wulfshof",  # sign up on this member's demo site
        "participants": (
            "festscheune-wulfshof",
            "brautmoden-carstens",
            "goldschmiede-peters",
            "konditorei-rathje",
            "blumenhaus-am-markt",
            "fotografie-brandt",
            "hochzeitsautos-thiessen",
        ),
    },
    {
        "title": "Lange Einkaufsnacht in der Innenstadt",
        "theme": TOWN_CENTRE,
        "weeks_ahead": 2,
        "weekday": 4,
        "starts": "18:00",
        "ends": "23:00",
        "description": (
            "Die Geschäfte rund um den Marktplatz haben bis 23 Uhr geöffnet: Lesung in der "
            "Bücherstube, Brillen-Check bei Optik Ehlers, Kinderprogramm in der Spielkiste "
            "und Häppchen von Feinkost Kröger."
        ),
        "place_name": "Marktplatz Heide",
        "street": "Markt",
        "postal_code": "25746",
        "town": "Heide",
        "registration": None,
        "participants": (
            "modehaus-wittmaack",
            "heider-buecherstube",
            "optik-ehlers",
            "spielkiste-heide",
            "feinkost-kroeger",
            "baeckerei-claussen",
        ),
    },
)
