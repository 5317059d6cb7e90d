"""A static HTML report a clinician can browse offline: the summary table, then per problem the
examples (images, questions, answers), the query, the true answer and every model's answer with
its correctness. Filters (model, mode, format, speciality, flag, outcome, text) run in a small
inline script; nothing is loaded from outside the page and its images folder.

answers (results -> answers per problem) and summary feed view (the page as typed records);
render lays the page out with the autoescaping template in templates/ and writes it.
"""

from smmile.present.report.images import THUMB_SIZE
from smmile.present.report.render import write_report

__all__ = ["THUMB_SIZE", "write_report"]
