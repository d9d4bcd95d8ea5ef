"""The watch: subscriptions to feeds, pages, arXiv and daily papers, collected on a schedule.

subscriptions.py (what is watched and what was seen), collector.py (a URL, a feed, a day of daily
papers → documents), run.py (one run of the subscriptions), morning_brief.py (the morning digest file).
"""
