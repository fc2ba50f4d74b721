"""Build the compact gazetteer (`pipelines/data/geo/gazetteer.csv.gz`) from ../shared/geo.

    python -m pipelines.geo_build ../shared/geo

The output is a derivative database of Ville de Paris and Île-de-France Mobilités open
data and stays under the ODbL (see pipelines/data/geo/README.md). One row per name:
``key`` (folded: lower case, no accents, punctuation as spaces), ``kind`` (arrondissement,
quartier, street, station, landmark, outside), ``arrondissements`` ("1;4"; empty for a
place outside Paris), ``weak`` (1 when the name is also a common word, a person, a country
or an institution, so it counts only with a cue such as « quartier » or « métro »), and
``label`` (the name as published).

Landmarks and places outside Paris are a short list written for the project below.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from pathlib import Path

from .gazetteer import fold

OUT = Path(__file__).parent / "data" / "geo" / "gazetteer.csv.gz"

# Official arrondissement names that mostly mean something else in the news
# (the Élysée is the presidency, the Palais-Bourbon the Assemblée, Luxembourg a country...).
WEAK_ARRONDISSEMENT_NAMES = {"louvre", "bourse", "temple", "hotel de ville", "pantheon", "luxembourg",
                             "palais bourbon", "elysee", "opera", "entrepot", "reuilly", "observatoire",
                             "vaugirard", "passy", "gobelins", "popincourt"}
# Quartier and station names that are common words, first names, cities or institutions.
WEAK_NAMES = {
    "gare", "europe", "mail", "combat", "amerique", "monnaie", "archives", "chapelle", "roquette",
    "madeleine", "plaisance", "muette", "arsenal", "odeon", "invalides", "halles", "villette", "grenelle",
    "necker", "sorbonne", "javel", "auteuil", "chaillot", "ternes", "picpus", "bel air", "vivienne",
    "gaillon", "sainte marguerite", "saint georges", "saint victor", "saint lambert", "notre dame",
    "salpetriere", "croulebarbe", "maison blanche", "saint ambroise", "saint merri", "saint gervais",
    "sainte avoye", "epinettes", "clignancourt", "charonne",
    "bercy", "nation", "republique", "concorde", "rome", "liege", "argentine", "anvers", "rennes",
    "commerce", "convention", "cite", "blanche", "cadet", "pasteur", "raspail", "voltaire", "jasmin",
    "danube", "simplon", "bolivar", "kleber", "iena", "wagram", "villiers", "courcelles", "malesherbes",
    "duroc", "segur", "dupleix", "mirabeau", "exelmans", "jourdain", "gambetta", "parmentier", "magenta",
    "volontaires", "nationale", "vaneau", "varenne", "pyramides", "pyrenees", "sentier", "telegraphe",
    "rambuteau", "ranelagh", "boucicaut", "brancion", "didot", "dugommier", "pernety", "gaite",
    "falguiere", "cambronne", "lourmel", "balard", "corvisart", "chevaleret", "montgallet", "avron",
    "buzenval", "pelleport", "maraichers", "goncourt", "couronnes", "severine", "crimee", "ourcq",
    "solferino", "monceau", "vavin", "mabillon", "boissiere", "miromesnil", "auber", "boulainvilliers",
    "brochant", "desnouettes", "montempoivre", "montsouris", "temple", "bourse", "opera", "luxembourg",
    "tolbiac", "vaugirard", "passy", "glaciere", "picpus", "porte saint denis", "bonne nouvelle",
    "saint jacques", "palais royal", "saint paul", "pont neuf", "assemblee nationale",
}
LANDMARKS: dict[str, str] = {
    "tour eiffel": "7", "champ de mars": "7", "musee d orsay": "7", "esplanade des invalides": "7",
    "hotel des invalides": "7", "musee du louvre": "1", "jardin des tuileries": "1", "forum des halles": "1",
    "sainte chapelle": "1", "palais royal": "1", "centre pompidou": "4", "beaubourg": "4",
    "cathedrale notre dame": "4", "notre dame de paris": "4", "ile saint louis": "4", "ile de la cite": "1;4",
    "hotel de ville de paris": "4", "parvis de l hotel de ville": "4", "marais": "3;4", "musee carnavalet": "3",
    "quartier latin": "5", "tour saint jacques": "4", "square de la tour saint jacques": "4", "jardin des plantes": "5", "grande galerie de l evolution": "5", "pantheon": "5",
    "jardin du luxembourg": "6", "saint germain des pres": "6", "champs elysees": "8", "arc de triomphe": "8;16;17",
    "grand palais": "8", "petit palais": "8", "parc monceau": "8", "gare saint lazare": "8",
    "opera garnier": "9", "palais garnier": "9", "grands boulevards": "2;9;10", "gare du nord": "10",
    "gare de l est": "10", "canal saint martin": "10;11", "hopital lariboisiere": "10", "ecluse des recollets": "10",
    "cirque d hiver": "11", "gare de lyon": "12", "bois de vincennes": "12", "accor arena": "12",
    "bercy arena": "12", "marche d aligre": "12", "lac daumesnil": "12", "coulee verte": "12",
    "parc de bercy": "12", "porte doree": "12", "hopital de la pitie salpetriere": "13", "pitie salpetriere": "13",
    "gare d austerlitz": "13", "bibliotheque francois mitterrand": "13", "stade charlety": "13",
    "butte aux cailles": "13", "quartier chinois": "13", "parc montsouris": "14", "catacombes": "14",
    "cite universitaire": "14", "gare montparnasse": "14;15", "tour montparnasse": "15",
    "parc des expositions": "15", "parc andre citroen": "15", "hopital necker": "15", "hopital europeen georges pompidou": "15",
    "bois de boulogne": "16", "palais de tokyo": "16", "trocadero": "16", "parc des princes": "16",
    "stade jean bouin": "16", "roland garros": "16", "maison de la radio": "16", "fondation louis vuitton": "16",
    "porte maillot": "16;17", "plaine monceau": "17", "faubourg saint antoine": "11;12", "palais des congres": "17", "parc martin luther king": "17", "clichy batignolles": "17",
    "montmartre": "18", "sacre coeur": "18", "butte montmartre": "18", "place du tertre": "18",
    "goutte d or": "18", "chateau rouge": "18", "chapelle international": "18", "jardins d eole": "18",
    "adidas arena": "18", "hopital bichat": "18", "porte de la chapelle": "18", "la chapelle": "18",
    "parc des buttes chaumont": "19", "buttes chaumont": "19", "parc de la villette": "19",
    "bassin de la villette": "19", "grande halle de la villette": "19", "philharmonie de paris": "19",
    "cite des sciences": "19", "canal de l ourcq": "19", "place des fetes": "19", "rosa parks": "19",
    "pere lachaise": "20", "cimetiere du pere lachaise": "20", "parc de belleville": "20",
    "la villette": "19", "la bellevilloise": "20", "bas belleville": "10;11;19;20", "hopital tenon": "20", "paris centre": "1;2;3;4",
}
# Places outside Paris that would otherwise match a Paris name (a longer match wins), or
# that say the item is elsewhere. They carry no arrondissement.
OUTSIDE = [
    "saint denis", "saint ouen", "saint ouen sur seine", "montreuil", "vincennes", "aubervilliers", "pantin",
    "bagnolet", "ivry sur seine", "vitry sur seine", "boulogne billancourt", "issy les moulineaux",
    "clichy", "levallois perret", "neuilly sur seine", "montrouge", "malakoff", "vanves", "gentilly",
    "le kremlin bicetre", "charenton le pont", "saint mande", "les lilas", "le pre saint gervais",
    "nanterre", "creteil", "bobigny", "la defense", "versailles", "saint michel sur orge",
    "mont saint michel", "le mont saint michel", "stade de france", "seine saint denis", "val de marne",
    "hauts de seine", "val d oise", "seine et marne", "chateau de vincennes", "jean jaures",
    "la saint michel", "assemblee nationale", "senat", "marseille", "lyon", "lille", "bordeaux", "toulouse", "nantes", "strasbourg",
]


def rows(geo: Path) -> list[dict[str, str]]:
    entries: dict[str, dict[str, str]] = {}

    def add(label: str, kind: str, arrondissements: list[int] | str, weak: bool = False) -> None:
        key = fold(label)
        if not key:
            return
        value = arrondissements if isinstance(arrondissements, str) else ";".join(
            str(a) for a in sorted(set(arrondissements)))
        known = entries.get(key)
        if known is not None and known["kind"] in ("landmark", "outside", "arrondissement"):
            return  # hand-written entries and official names win
        if known is not None and known["kind"] == kind and kind in ("street", "station"):
            merged = sorted({int(a) for a in (known["arrondissements"] + ";" + value).split(";") if a})
            known["arrondissements"] = ";".join(map(str, merged))
            return
        if known is not None and kind == "station":
            return  # a quartier or street of the same name is the better evidence
        entries[key] = {"key": key, "kind": kind, "arrondissements": value,
                        "weak": "1" if weak or key in WEAK_NAMES else "0", "label": label}

    for key, value in LANDMARKS.items():
        entries[key] = {"key": key, "kind": "landmark", "arrondissements": value, "weak": "0", "label": key}
    for key in OUTSIDE:
        entries[key] = {"key": key, "kind": "outside", "arrondissements": "", "weak": "0", "label": key}
    with (geo / "paris-arrondissements.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = fold(row["l_aroff"])
            entries.setdefault(key, {"key": key, "kind": "arrondissement", "arrondissements": row["c_ar"],
                                     "weak": "1" if key in WEAK_ARRONDISSEMENT_NAMES else "0",
                                     "label": row["l_aroff"]})
    with (geo / "paris-quartiers.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            add(row["l_qu"], "quartier", [int(row["c_ar"])])
    with (geo / "paris-voies-arrondissements.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["type_voie"] == "VOIE" or not row["arrondissements"]:
                continue  # provisional names ("Voie D/17") and streets outside the 20 arrondissements
            add(row["name"], "street", [int(a) for a in row["arrondissements"].split(";")])
    with (geo / "paris-gares-arrondissements.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            add(row["nom"], "station", [int(row["arrondissement"])])
    return sorted(entries.values(), key=lambda r: (r["kind"], r["key"]))


def main(argv: list[str]) -> None:
    geo = Path(argv[0] if argv else "../shared/geo")
    table = rows(geo)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["key", "kind", "arrondissements", "weak", "label"],
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same input gives the same bytes.
    with gzip.GzipFile(OUT, "wb", mtime=0) as handle:
        handle.write(buffer.getvalue().encode("utf-8"))
    print(f"{len(table)} names written to {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1:])
