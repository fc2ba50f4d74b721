"""The weekly press review of each working group: select → group by story → rank → summarise
→ one context → HTML, e-mail, Markdown, text, PDF, Atom → delivery by SMTP.

The shell builds a `ReviewOptions` from its settings and calls `assemble_review` with a
session; everything else is a function of the `Review` it returns. See docs/digests.md.
"""

from .assemble import assemble_review, load_review
from .charts import render_chart_svg
from .context import Review, StoryView
from .delivery import DeliveryReport, deliver, ensure_deliveries, recover_interrupted
from .french import french_date, french_week_label
from .geo import ATTRIBUTION, render_map_svg
from .mail import Mailer, SendError, SmtpOptions, build_message
from .options import GroupOptions, RankingWeights, ReviewOptions
from .render import FORMATS, RenderedEmail, render_atom, render_review, stylesheet
from .weeks import Week, WeekError, last_complete_week, parse_week, week_at

__all__ = [
    "ATTRIBUTION", "DeliveryReport", "FORMATS", "GroupOptions", "Mailer", "RankingWeights", "RenderedEmail",
    "Review", "ReviewOptions", "SendError", "SmtpOptions", "StoryView", "Week", "WeekError", "assemble_review",
    "build_message", "deliver", "ensure_deliveries", "french_date", "french_week_label", "last_complete_week", "load_review",
    "parse_week", "recover_interrupted", "render_atom", "render_chart_svg", "render_map_svg", "render_review",
    "stylesheet", "week_at",
]
