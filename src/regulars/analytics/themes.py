"""Comment themes: what detractors say that promoters do not, in Korean and English.

Korean comments are split into morphemes by Kiwi (kiwipiepy; its model is the
``kiwipiepy_model`` package, so nothing is downloaded at run time) and the content
morphemes are kept: nouns, verb and adjective stems (as their dictionary form, "늦다"),
roots and foreign words, with a negating prefix kept on its noun ("불친절"). English is
lower-cased and split on letters, less a short list of stop words. Each answer yields its
terms and the two-term phrases of consecutive terms.

Terms are compared between detractors and promoters by the weighted log-odds ratio with an
informative Dirichlet prior (the counts of all comments), whose z-score keeps rare terms
from looking decisive. Counts are of answers mentioning a term (each answer counts once).
Each theme comes with its NPS impact — the NPS of the answers that do not mention it, minus
the NPS of all answers — and example quotes from detractors.

References
----------
.. [1] Monroe, B. L., Colaresi, M. P. & Quinn, K. M. (2008). Fightin' words: lexical feature
   selection and evaluation for identifying the content of political conflict. *Political
   Analysis*, 16(4), 372-403. (Eq. 16 and 22.)
.. [2] Kim, M. & Lee, J. (2024). Kiwi: developing a Korean morphological analyzer based on
   statistical language models and skip-bigram models. (kiwipiepy.)
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from regulars.analytics.nps import classify, nps_of

ENGLISH_STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "don",
        "for",
        "from",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "really",
        "also",
        "get",
        "got",
        "one",
        "us",
        "it's",
        "i'm",
        "im",
        "was",
        "were",
        "very",
        "much",
        "lot",
    ]
)
KOREAN_TAGS = frozenset({"NNG", "NNP", "VV", "VA", "XR", "SL", "VV-R", "VA-R", "VV-I", "VA-I"})
HANGUL = re.compile(r"[\uac00-\ud7a3]")
ENGLISH_WORD = re.compile(r"[a-z][a-z']+")


@lru_cache(maxsize=1)
def _kiwi() -> Any:
    from kiwipiepy import Kiwi

    return Kiwi()


def korean_terms(texts: Sequence[str]) -> list[list[str]]:
    """Content morphemes of each Korean text (Kiwi), in order."""
    out: list[list[str]] = []
    for tokens in _kiwi().tokenize(list(texts)):
        terms: list[str] = []
        prefix = ""
        for token in tokens:
            if token.tag == "XPN":
                prefix = token.form
                continue
            tag = str(token.tag)
            if tag in KOREAN_TAGS:
                form = token.form.lower()
                if tag.startswith(("VV", "VA")):
                    form += "다"
                terms.append(prefix + form)
            prefix = ""
        out.append(terms)
    return out


def english_terms(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased words of each English text, less stop words."""
    return [
        [w for w in ENGLISH_WORD.findall(text.lower()) if w not in ENGLISH_STOPWORDS]
        for text in texts
    ]


def with_phrases(terms: list[str]) -> set[str]:
    """The terms and the two-term phrases of consecutive terms, each once."""
    return set(terms) | {f"{a} {b}" for a, b in itertools.pairwise(terms)}


def answer_terms(texts: pd.Series, languages: pd.Series | None = None) -> list[set[str]]:
    """The set of terms and phrases of each answer (Korean by Kiwi, otherwise English).

    The language is taken from ``languages`` ('ko' or 'en') or, where missing, from the
    presence of Hangul. Identical texts are analysed once.
    """
    values = texts.fillna("").astype(str).tolist()
    langs = (
        languages.fillna("").astype(str).tolist() if languages is not None else [""] * len(values)
    )
    korean = [
        lang == "ko" or (lang != "en" and bool(HANGUL.search(text)))
        for text, lang in zip(values, langs, strict=True)
    ]
    unique_ko = sorted({t for t, k in zip(values, korean, strict=True) if k and t})
    unique_en = sorted({t for t, k in zip(values, korean, strict=True) if not k and t})
    analysed: dict[tuple[bool, str], set[str]] = {}
    for text, terms in zip(unique_ko, korean_terms(unique_ko), strict=True):
        analysed[(True, text)] = with_phrases(terms)
    for text, terms in zip(unique_en, english_terms(unique_en), strict=True):
        analysed[(False, text)] = with_phrases(terms)
    return [analysed.get((k, t), set()) for t, k in zip(values, korean, strict=True)]


def log_odds_dirichlet(counts_a: pd.Series, counts_b: pd.Series, prior: pd.Series) -> pd.DataFrame:
    """Weighted log-odds ratio of each term, group a vs b, informative Dirichlet prior.

    ``delta_w = log((y_aw + α_w) / (n_a + α_0 - y_aw - α_w))
    - log((y_bw + α_w) / (n_b + α_0 - y_bw - α_w))``, with variance
    ``1/(y_aw + α_w) + 1/(y_bw + α_w)``; ``z = delta / sqrt(variance)``. Positive z: the
    term is more typical of group a.

    References
    ----------
    Monroe, Colaresi & Quinn (2008), op. cit., eq. 16 and 22.
    """
    terms = prior.index.union(counts_a.index).union(counts_b.index)
    y_a = counts_a.reindex(terms, fill_value=0).astype(float)
    y_b = counts_b.reindex(terms, fill_value=0).astype(float)
    alpha = prior.reindex(terms, fill_value=0).astype(float)
    alpha = alpha.where(alpha > 0, 0.01)
    alpha_0 = float(alpha.sum())
    n_a, n_b = float(y_a.sum()), float(y_b.sum())
    delta = np.log((y_a + alpha) / (n_a + alpha_0 - y_a - alpha)) - np.log(
        (y_b + alpha) / (n_b + alpha_0 - y_b - alpha)
    )
    variance = 1.0 / (y_a + alpha) + 1.0 / (y_b + alpha)
    return pd.DataFrame(
        {"count_a": y_a, "count_b": y_b, "delta": delta, "z": delta / np.sqrt(variance)}
    )


def detractor_themes(
    responses: pd.DataFrame,
    top: int = 15,
    min_answers: int = 5,
    prior_weight: float = 0.1,
    quotes: int = 3,
    population: pd.Series | None = None,
) -> pd.DataFrame:
    """The terms and phrases that set detractors apart from promoters.

    ``responses`` needs ``ltr``, ``why`` and, ideally, ``language``. Returns up to ``top``
    rows, most typical of detractors first: ``term``, ``detractors`` and ``promoters``
    (answers of each kind mentioning it), ``z`` (weighted log-odds z-score), ``mentions``,
    ``nps_without`` (NPS of the answers that do not mention it), ``impact`` (``nps_without``
    minus the overall NPS: how many points the NPS would gain without those answers) and
    ``examples`` (short detractor quotes). Terms mentioned by fewer than ``min_answers``
    answers are left out, and so is a term mentioned by exactly the same answers as one
    already listed (the parts of a compound: 고객 and 센터 beside 고객 센터). The NPS
    impact is reckoned on ``population`` (the 0-10 answers, indexed like ``responses``)
    when given, so that the themes of one language still speak of the whole NPS.
    """
    data = responses[responses["ltr"].notna() & responses["why"].notna()]
    data = data[data["why"].astype(str).str.strip() != ""]
    columns = [
        "term",
        "detractors",
        "promoters",
        "z",
        "mentions",
        "nps_without",
        "impact",
        "examples",
    ]
    if data.empty:
        return pd.DataFrame(columns=columns)
    kinds = classify(data["ltr"]).to_numpy()
    term_sets = answer_terms(data["why"], data.get("language", None))
    every = _document_counts(term_sets)
    det = _document_counts(s for s, k in zip(term_sets, kinds, strict=True) if k == "detractor")
    pro = _document_counts(s for s, k in zip(term_sets, kinds, strict=True) if k == "promoter")
    scores = log_odds_dirichlet(det, pro, prior_weight * every)
    scores = scores[every.reindex(scores.index, fill_value=0) >= min_answers]
    scores = scores.assign(_length=[len(t) for t in scores.index])
    scores = scores.sort_values(["z", "_length"], ascending=False).head(4 * top)

    all_ltr = (population if population is not None else responses["ltr"]).dropna()
    overall = nps_of(all_ltr).nps
    texts = data["why"].astype(str).to_numpy()
    ids = data.index.to_numpy()
    rows: list[dict[str, Any]] = []
    seen: set[bytes] = set()
    for term, row in scores.iterrows():
        if len(rows) == top:
            break
        mentions = np.fromiter((term in s for s in term_sets), dtype=bool, count=len(term_sets))
        key = np.packbits(mentions).tobytes()
        if key in seen:  # the same answers as a term already listed (a compound's parts)
            continue
        seen.add(key)
        without = all_ltr.drop(index=ids[mentions], errors="ignore")
        examples = sorted(
            {t for t, m, k in zip(texts, mentions, kinds, strict=True) if m and k == "detractor"},
            key=len,
        )[:quotes]
        nps_without = nps_of(without).nps
        rows.append(
            {
                "term": term,
                "detractors": int(row["count_a"]),
                "promoters": int(row["count_b"]),
                "z": float(row["z"]),
                "mentions": int(mentions.sum()),
                "nps_without": nps_without,
                "impact": nps_without - overall,
                "examples": examples,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def _document_counts(term_sets: Iterable[set[str]]) -> pd.Series:
    counter: Counter[str] = Counter()
    for terms in term_sets:
        counter.update(terms)
    return pd.Series(counter, dtype=float)


def themes_by_language(
    responses: pd.DataFrame, top: int = 10, min_answers: int = 5
) -> pd.DataFrame:
    """:func:`detractor_themes` for each language of the comments, Korean first.

    Each language's comments are compared within that language (a Korean word cannot set a
    Korean detractor apart from an English promoter), and each theme's NPS impact is on
    the NPS of all answers. Adds a ``language`` column ('ko' or 'en'; where the answer
    names none, Hangul in the text means Korean).
    """
    texts = responses["why"].fillna("").astype(str)
    detected = pd.Series(
        np.where(texts.str.contains(HANGUL), "ko", "en"), index=responses.index, dtype="object"
    )
    given = responses.get("language", None)
    language = detected if given is None else given.where(given.isin(["ko", "en"]), detected)
    tables = []
    for code in ("ko", "en"):
        subset = responses[(language == code) & (texts.str.strip() != "")]
        if subset.empty:
            continue
        table = detractor_themes(
            subset, top=top, min_answers=min_answers, population=responses["ltr"]
        )
        tables.append(table.assign(language=code))
    if not tables:
        return pd.DataFrame(columns=["language", "term"])
    combined = pd.concat(tables, ignore_index=True)
    return combined[["language", *[c for c in combined.columns if c != "language"]]]
