"""pathwise: a career-advice agent grounded in one article (AI Engineer vs AI Automation Specialist)."""

__version__ = "0.1.0"
