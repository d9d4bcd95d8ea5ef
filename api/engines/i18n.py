"""The words Veille writes itself (headings, connectives, refusals) in English, French and Korean."""

from __future__ import annotations

ANSWER_LANGS = frozenset({"en", "fr", "ko"})

_TEXTS: dict[str, dict[str, str]] = {
    "no_answer": {
        "en": "I found nothing in the knowledge base that answers this question.",
        "fr": "Je n'ai rien trouvé dans la base qui réponde à cette question.",
        "ko": "지식 베이스에서 이 질문에 답하는 내용을 찾지 못했습니다.",
    },
    "digest_title": {"en": "Digest: {topic}", "fr": "Digest : {topic}", "ko": "다이제스트: {topic}"},
    "digest_recent": {"en": "recent additions", "fr": "nouveautés", "ko": "최근 추가 자료"},
    "summary": {"en": "Executive summary", "fr": "Synthèse", "ko": "요약"},
    "summary_lead": {
        "en": "{selected} of {considered} documents were kept on this topic; the main points:",
        "fr": "{selected} documents retenus sur {considered} pour ce thème ; l'essentiel :",
        "ko": "{considered}개 문서 중 {selected}개를 골랐습니다. 핵심은 다음과 같습니다:",
    },
    "summary_lead_recent": {
        "en": "{selected} of the {considered} documents of the period, by theme:",
        "fr": "{selected} documents sur les {considered} de la période, par thème :",
        "ko": "이 기간의 문서 {considered}개 중 {selected}개, 주제별로:",
    },
    "figures": {"en": "In figures", "fr": "En chiffres", "ko": "수치로 보기"},
    "considered": {"en": "Documents considered", "fr": "Documents examinés", "ko": "검토한 문서"},
    "selected": {"en": "Documents selected", "fr": "Documents retenus", "ko": "선정한 문서"},
    "period": {"en": "Period", "fr": "Période", "ko": "기간"},
    "all_time": {"en": "everything ingested", "fr": "tout le fonds", "ko": "전체 자료"},
    "by_kind": {"en": "By type", "fr": "Par type", "ko": "유형별"},
    "by_lang": {"en": "By language", "fr": "Par langue", "ko": "언어별"},
    "documents": {"en": "Documents", "fr": "Documents", "ko": "문서"},
    "themes": {"en": "Themes", "fr": "Thèmes", "ko": "주제"},
    "theme": {"en": "Theme", "fr": "Thème", "ko": "주제"},
    "new": {"en": "What is new", "fr": "Ce qui est nouveau", "ko": "새로운 점"},
    "key_points": {"en": "Key points", "fr": "Points clés", "ko": "핵심 내용"},
    "technical": {"en": "Technical aspects", "fr": "Aspects techniques", "ko": "기술적 측면"},
    "source": {"en": "Source", "fr": "Source", "ko": "출처"},
    "insights": {"en": "Cross-document insights", "fr": "Enseignements transversaux", "ko": "문서 간 시사점"},
    "sources": {"en": "Sources", "fr": "Sources", "ko": "출처 목록"},
    "page": {"en": "p.", "fr": "p.", "ko": "쪽"},
    "links_to": {
        "en": "“{a}” discusses the paper “{b}”, also in this digest:",
        "fr": "« {a} » commente le papier « {b} », également dans ce digest :",
        "ko": "“{a}”는 이 다이제스트에 포함된 논문 “{b}”를 다룹니다:",
    },
    "theme_line": {
        "en": "**{theme}** ({n} document{s}):",
        "fr": "**{theme}** ({n} document{s}) :",
        "ko": "**{theme}** (문서 {n}건):",
    },
    "shared_entity": {
        "en": "{entity} appears in several documents:",
        "fr": "{entity} revient dans plusieurs documents :",
        "ko": "{entity}은(는) 여러 문서에 등장합니다:",
    },
    "close_pair": {
        "en": "“{a}” and “{b}” are the closest pair of documents here (similarity {sim:.2f}):",
        "fr": "« {a} » et « {b} » sont les deux documents les plus proches (similarité {sim:.2f}) :",
        "ko": "“{a}”와 “{b}”가 가장 가까운 문서 쌍입니다 (유사도 {sim:.2f}):",
    },
    "generated": {"en": "Generated on {date} by Veille ({mode}).", "fr": "Généré le {date} par Veille ({mode}).",
                  "ko": "{date}에 Veille가 생성했습니다 ({mode})."},
    "kind_paper": {"en": "paper", "fr": "article", "ko": "논문"},
    "kind_note": {"en": "note", "fr": "note", "ko": "노트"},
    "kind_record": {"en": "record", "fr": "fiche", "ko": "기록"},
    "morning_title": {"en": "Watch of {day}", "fr": "Veille du {day}", "ko": "{day} 기술 동향"},
    "collected": {"en": "Items collected", "fr": "Articles collectés", "ko": "수집한 글"},
    "analysed": {"en": "Items analysed", "fr": "Articles analysés", "ko": "분석한 글"},
    "kept": {"en": "Items selected", "fr": "Articles sélectionnés", "ko": "선정한 글"},
    "since": {"en": "since {when}", "fr": "depuis le {when}", "ko": "{when} 이후"},
    "subscriptions": {"en": "Subscriptions", "fr": "Abonnements", "ko": "구독"},
}


def text_for(lang: str, key: str, **values: object) -> str:
    """The text `key` in `lang` (English when the language has no translation), formatted."""
    table = _TEXTS[key]
    return table.get(lang, table["en"]).format(**values)
