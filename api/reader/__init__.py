"""The reader: a question → passages → scored sentences → an answer whose every sentence is cited.

question.py (what a question asks), terms.py and units.py (its words and units across languages),
evidence.py (retrieval for a question and the candidate sentences, scored), scoring.py (how well a
sentence answers), quotes.py (sentences as verbatim spans, and citations), extractive.py (the answer
without a model), llm_answer.py and verify.py (a model's answer, checked), translation.py (the question
in the archive's other languages, with a model), ask.py (the whole flow), answer.py (Answer, Citation).
"""
