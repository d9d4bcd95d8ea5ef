"""What a quantity question counts, in the archive's three languages: "몇 개의 토큰" is "tokens" in an
English paper, "how many languages" is "10개 언어" in a Korean note.

A figure's unit is the one word that tells the fact from the sentences around it, and it rarely
crosses languages through meaning alone: e5 puts Korean and English words for the same unit below
the cosine that tells French and English ones apart (relevance.UNIT_SIMILARITY). The counted nouns of AI
research are a small closed class, so they are listed here by hand: the nouns most often written
after a figure in the shared corpus's papers (tokens, parameters, pages, papers, steps, layers, heads,
neighbours, points, tasks, passages, queries, citations, documents, instances, epochs, links,
models) and the rest of the same class, each with its usual French and Korean words (Korean AI
writing often keeps the English word in Hangul: 토큰, 레이어, 스텝). Time units are
relevance.DURATION_UNITS. The quantities a question may name instead ("batch size", "표준편차") are listed
the same way, and a sentence gives the asked unit or quantity when `gives_unit` or `gives_quantity` says so.
"""

from __future__ import annotations

import re
from functools import lru_cache

# (English, French, Korean...) words for one counted thing; plurals as written after a figure.
COUNTED: tuple[tuple[str, ...], ...] = (
    ("tokens", "jetons", "토큰"),
    ("parameters", "paramètres", "파라미터", "매개변수"),
    ("layers", "couches", "레이어", "층"),
    ("heads", "têtes", "헤드"),
    ("steps", "étapes", "스텝", "단계"),
    ("epochs", "époques", "에폭", "에포크"),
    ("iterations", "itérations", "반복"),
    ("papers", "articles", "논문", "편"),
    ("documents", "documents", "문서"),
    ("pages", "pages", "페이지", "쪽"),
    ("articles", "articles", "기사"),
    ("citations", "citations", "인용"),
    ("authors", "auteurs", "저자"),
    ("languages", "langues", "언어"),
    ("words", "mots", "단어"),
    ("sentences", "phrases", "문장"),
    ("characters", "caractères", "문자", "글자"),
    ("examples", "exemples", "예제", "예시"),
    ("samples", "échantillons", "샘플", "표본"),
    ("instances", "instances", "인스턴스"),
    ("images", "images", "이미지"),
    ("videos", "vidéos", "비디오", "영상"),
    ("questions", "questions", "질문", "문항"),
    ("answers", "réponses", "답변", "정답"),
    ("pairs", "paires", "쌍"),
    ("tables", "tables", "tableaux", "테이블", "표"),
    ("rows", "lignes", "행"),
    ("columns", "colonnes", "열"),
    ("datasets", "datasets", "데이터셋", "데이터세트"),
    ("benchmarks", "benchmarks", "벤치마크"),
    ("models", "modèles", "모델"),
    ("tasks", "tâches", "태스크", "작업", "과제"),
    ("queries", "requêtes", "쿼리", "질의"),
    ("passages", "passages", "패시지", "구절"),
    ("chunks", "segments", "청크"),
    ("neighbours", "neighbors", "voisins", "이웃"),
    ("links", "liens", "링크"),
    ("classes", "classes", "클래스"),
    ("labels", "étiquettes", "레이블", "라벨"),
    ("vectors", "vecteurs", "벡터"),
    ("dimensions", "dimensions", "차원"),
    ("bits", "bits", "비트"),
    ("experts", "experts", "전문가"),
    ("agents", "agents", "에이전트"),
    ("users", "utilisateurs", "사용자"),
    ("participants", "participants", "참가자"),
    ("prompts", "prompts", "프롬프트"),
    ("instructions", "instructions", "지시문", "명령어"),
    ("files", "fichiers", "파일"),
    ("nodes", "nœuds", "노드"),
    ("errors", "erreurs", "오류", "에러"),
    ("points", "points", "포인트", "점"),
    ("times", "fois", "배"),
)
# Quantities a question names, each with its usual words in the three languages: the sentence that answers
# writes the name, then the figure ("a batch size of 1024", "standard deviation of 0.006"), and a question in
# another language names it in its own ("taille de batch", "표준편차"). Hyperparameters and measures of AI
# papers, a small closed class like the counted nouns.
QUANTITIES: tuple[tuple[str, ...], ...] = (
    ("batch size", "taille de batch", "taille du batch", "taille de lot", "taille des lots", "배치 크기",
     "배치 사이즈"),
    ("learning rate", "taux d'apprentissage", "학습률"),
    ("standard deviation", "écart-type", "écart type", "표준편차"),
    ("weight decay", "décroissance des poids", "décroissance de poids", "가중치 감쇠"),
    ("dropout", "taux d'abandon", "드롭아웃"),
    ("warmup", "warm-up", "préchauffage", "échauffement", "워밍업", "웜업"),
    ("temperature", "température", "온도"),
    ("perplexity", "perplexité", "퍼플렉서티", "혼란도"),
    ("sequence length", "longueur de séquence", "longueur de la séquence", "시퀀스 길이"),
    ("vocabulary size", "taille du vocabulaire", "taille de vocabulaire", "어휘 크기"),
    ("hidden size", "hidden dimension", "dimension cachée", "taille cachée", "은닉 크기", "은닉 차원"),
    ("compression ratio", "compression rate", "taux de compression", "압축률", "압축 비율"),
    ("win rate", "taux de victoire", "승률"),
    ("recall", "rappel", "재현율"),
)
# Quantities a question names without the unit they are counted in: a context (window) is counted in
# tokens, whichever language asks ("longueur de contexte" is answered by "128K 토큰").
_MEASURED_IN = ((re.compile(r"\bcontext (?:length|window|size)|\b(?:longueur|taille|fenêtre) de contexte|"
                            r"(?:문맥|컨텍스트|맥락)\s*(?:길이|창|윈도우|크기)", re.IGNORECASE), "tokens"),)
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Korean case particles written onto a noun ("언어의", "토큰으로"), longest first where one ends another
KOREAN_PARTICLES = ("으로", "로", "를", "을", "의", "에서", "에", "은", "는", "이", "가")
# and, on a unit as a question writes it, conjunctions and copulas too ("편이었나요")
_ENDINGS = ("과", "와", "마다", "이었나요", "였나요", "인가요", "입니까", "이다", "입니다")
_KOREAN_TAIL = re.compile("(?:" + "|".join([*KOREAN_PARTICLES, *_ENDINGS]) + ")$")


def _same(unit: str, word: str) -> bool:
    """Whether a unit as a question writes it is `word` (a plural or a particle aside)."""
    if unit == word:
        return True
    if _HANGUL.match(word):
        return _HANGUL.match(unit) is not None and _KOREAN_TAIL.sub("", unit) == word
    return len(word) > 3 and unit.rstrip("sx") == word.rstrip("sx")


@lru_cache(maxsize=1024)
def across(unit: str) -> tuple[str, ...]:
    """The words for `unit` in the three languages (itself included), or just `unit` when it is not a
    counted noun of the list."""
    found = [w for entry in COUNTED if any(_same(unit, v) for v in entry) for w in entry]
    return tuple(dict.fromkeys([unit, *found]))


def measured_in(question: str) -> list[str]:
    """The units of the quantities the question names ("context length" → tokens), empty when none."""
    return [unit for pattern, unit in _MEASURED_IN if pattern.search(question)]


def quantities_named(question: str) -> tuple[str, ...]:
    """The words, in the three languages, of every quantity of QUANTITIES the question names."""
    low = question.lower().replace("’", "'")
    return tuple(word for entry in QUANTITIES if any(_names(low, word) for word in entry) for word in entry)


def _names(text_low: str, phrase: str) -> bool:
    # Korean particles stick to the noun ("표준편차는"): no boundary after Hangul
    after = "" if _HANGUL.match(phrase[-1]) else r"(?![\w-])"
    return re.search(rf"(?<![\w-]){re.escape(phrase)}{after}", text_low) is not None


def known(word: str) -> tuple[str, ...] | None:
    """The words for `word` (itself included) when it is a counted noun of the list, else None."""
    found = across(word.lower())
    return found if len(found) > 1 else None


def gives_quantity(names: tuple[str, ...], sentence: str) -> bool:
    """The named quantity followed by a figure in the same clause ("a batch size of 1024", "학습률은 0.001")."""
    return bool(names) and _quantity_pattern(names).search(sentence) is not None


@lru_cache(maxsize=256)
def _quantity_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in names) + r")[^.;:!?\d]{0,40}?\d",
                      re.IGNORECASE)


def gives_unit(units: list[str], sentence: str) -> bool:
    """A figure followed (within two words) by one of `units`, singular or plural ("2 bits", "32 layers")."""
    return bool(units) and _unit_pattern(tuple(units)).search(sentence) is not None


@lru_cache(maxsize=256)
def _unit_pattern(units: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for all of a question's units, compiled once: the reader tries it on every candidate
    sentence, and a time question has twenty units (one search per unit and sentence took ~17 ms an answer)."""
    words: list[str] = []
    syllables: list[str] = []
    for unit in units:
        stem = re.escape(unit[:-1] if len(unit) > 3 and unit.endswith("s") else unit)
        # a one-syllable Korean unit only right after the figure ("3일", not "3 일반")
        (syllables if len(unit) == 1 else words).append(stem)
    # the unit word itself, with at most a plural or a particle after it ("ans", not "answers")
    tails = [r"\s*(?:[^\W\d]+\s+){0,2}(?:" + "|".join(words) + r")\w{0,3}(?!\w)"] if words else []
    # or after a generic counter: "6개의 층" answers "몇 개의 층"
    tails += [r"(?:(?:개|가지|종류)의?\s+)?(?:" + "|".join(syllables) + ")"] if syllables else []
    return re.compile(r"\d[\d,.]*(?:" + "|".join(tails) + ")", re.IGNORECASE)
