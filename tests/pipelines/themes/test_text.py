from pipelines.themes.text import MAX_CHARS, fold, normalise, readable, stem_phrase, words


def test_inflected_forms_share_one_stem_without_accents() -> None:
    assert stem_phrase("crèches") == stem_phrase("crèche") == ("crech",)
    assert stem_phrase("Écoles") == stem_phrase("école")


def test_elisions_are_removed_and_compounds_kept() -> None:
    assert words("L’école d'Aubervilliers, les sans-abri") == ["école", "aubervilliers", "les", "sans-abri"]


def test_fold_spells_out_ligatures() -> None:
    assert fold("Cœur ÉTÉ") == "coeur ete"


def test_the_title_counts_twice_and_long_texts_are_cut() -> None:
    doc = normalise("Vélo", "mot " * 50_000)
    assert doc.stems[:2] == ("velo", "velo")
    assert len(doc.folded) < MAX_CHARS + 100


def test_a_text_in_another_script_is_recognised() -> None:
    assert normalise("حديقة", "افتتاح حديقة جديدة في باريس").latin_ratio < 0.5
    assert normalise("Une école", "Les élèves de la ville et leurs parents").french_ratio > 0.2


def test_function_words_never_make_a_reason() -> None:
    assert not readable(stem_phrase("la ville"))
    assert readable(stem_phrase("piste cyclable"))
