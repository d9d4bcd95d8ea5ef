"""Korean loanwords of AI writing, read as the English words they transliterate.

Korean notes on AI research keep most technical nouns as English written in Hangul: "추가 코퍼스" is
"additional corpus", "어떤 섹션" is "which section". The reader's lexical evidence compares a question's
terms with a sentence's (index.sparse stems and Korean morphemes), so without this a Korean question
shares no term with the English paper that answers it, nor an English question with the Korean note.
The list is the common technical loanwords Kiwi keeps as one morpheme (tests check it); those it splits
("데이터셋" → 데이터 + 셋, "체크포인트", "하이퍼파라미터") and those with a native homograph ("배치" is
also "placement") are left out. The keyword index itself is unchanged: this is the reader's reading.
"""

from __future__ import annotations

from functools import lru_cache

from veille.index.sparse import tokenize

LOANWORDS: dict[str, str] = {
    "코퍼스": "corpus", "섹션": "section", "토큰": "token", "모델": "model", "벤치마크": "benchmark", "데이터": "data",
    "어텐션": "attention", "트랜스포머": "transformer", "임베딩": "embedding", "프롬프트": "prompt",
    "에이전트": "agent", "레이어": "layer", "파라미터": "parameter", "아키텍처": "architecture", "인코더": "encoder",
    "디코더": "decoder", "캐시": "cache", "쿼리": "query", "코드": "code", "태스크": "task", "파이프라인": "pipeline",
    "알고리즘": "algorithm", "네트워크": "network", "그래프": "graph", "스코어": "score", "스텝": "step",
    "헤드": "head", "윈도우": "window", "컨텍스트": "context", "시퀀스": "sequence", "그래디언트": "gradient",
    "벡터": "vector", "인덱스": "index", "플랫폼": "platform", "모듈": "module", "시스템": "system",
    "이미지": "image", "비디오": "video", "텍스트": "text", "라벨": "label", "레이블": "label", "클래스": "class",
    "샘플": "sample", "노드": "node", "링크": "link", "파일": "file", "서버": "server", "메모리": "memory",
    "프로세스": "process", "필터": "filter", "리트리버": "retriever", "튜닝": "tuning", "토크나이저": "tokenizer",
    "로봇": "robot", "시뮬레이션": "simulation", "컴파일러": "compiler", "하드웨어": "hardware",
    "소프트웨어": "software", "스케일": "scale", "어댑터": "adapter", "스케일링": "scaling", "라우터": "router",
    "퍼플렉서티": "perplexity", "옵티마이저": "optimizer", "피드백": "feedback", "인터페이스": "interface",
    "챗봇": "chatbot", "어시스턴트": "assistant", "플러그인": "plugin", "툴": "tool", "칩": "chip",
    "클러스터": "cluster", "포맷": "format", "템플릿": "template", "스크립트": "script", "라이브러리": "library",
    "프로토콜": "protocol", "컴포넌트": "component", "시나리오": "scenario", "패턴": "pattern", "매트릭스": "matrix",
    "로직": "logic", "비전": "vision", "오디오": "audio", "스피치": "speech", "게임": "game", "테스트": "test",
    "트레이닝": "training", "리워드": "reward", "폴리시": "policy", "어노테이션": "annotation",
    "카테고리": "category", "도메인": "domain", "리소스": "resource", "메커니즘": "mechanism", "프레임": "frame",
    "픽셀": "pixel", "패치": "patch", "마스크": "mask", "스트리밍": "streaming",
}


@lru_cache(maxsize=1)
def _stems() -> dict[str, str]:
    """Each loanword's English stem, as the sparse side stems English ("attention" → "attent")."""
    return {korean: tokenize(english, "en")[0] for korean, english in LOANWORDS.items()}


def as_english(terms: list[str]) -> list[str]:
    """The terms with each Korean loanword replaced by the English stem it stands for."""
    stems = _stems()
    return [stems.get(t, t) for t in terms]


def terms_of(text: str, lang: str) -> list[str]:
    """index.sparse's terms of `text` in `lang`, Korean loanwords read as English."""
    return as_english(tokenize(text, lang))
