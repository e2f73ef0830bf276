"""The course content: parse ``fixtures/course/`` into frozen definitions, pure Python.

Layout of a course directory::

    course.yaml                  slug, title, description (Markdown)
    lessons/NN-<slug>.md         one lesson per file, in order

A lesson file is Markdown with YAML front matter between ``---`` lines::

    ---
    slug: ann-architecture
    title: ANN architecture
    order: 3
    summary: Layers, weights, biases and activation functions.
    questions:
      - key: q1-weights
        kind: free_text
        prompt: What's the role of weights in an ANN?
        hints:                        # Markdown; one more shown after each wrong attempt,
          - ...                       # never the answer (a single text is one hint)
        explanation: ...              # Markdown, shown once earned (solved or attempts used)
        model_answer: ...             # Markdown, shown once earned
        handout_section: ann-architecture#structure   # optional: "<lesson>[#<heading id>]"
        max_attempts: 3               # optional, default 3
        points: 1                     # optional, default 1
        config: {...}                 # kind-specific, checked by the grading engine
    ---
    Markdown text ...

    [[question:q1-weights]]

Each question is placed in the text by a marker line ``[[question:KEY]]`` after the passage it
tests. :func:`load_course` reads and checks everything (every error names the file and line
as ``path:line: message``) and returns a :class:`CourseDef`; it never touches a database.
Storing the result is the ``load_course`` management command's job.
"""

from annquiz.courses.content.definitions import (
    COURSE_FIELDS,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_POINTS,
    LESSON_FIELDS,
    QUESTION_FIELDS,
    QUESTION_KINDS,
    ConfigValidator,
    ContentError,
    CourseDef,
    HtmlBlock,
    LessonDef,
    QuestionBlock,
    QuestionDef,
    SourceRef,
)
from annquiz.courses.content.loading import grading_config_validator, load_course

__all__ = [
    "COURSE_FIELDS",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_POINTS",
    "LESSON_FIELDS",
    "QUESTION_FIELDS",
    "QUESTION_KINDS",
    "ConfigValidator",
    "ContentError",
    "CourseDef",
    "HtmlBlock",
    "LessonDef",
    "QuestionBlock",
    "QuestionDef",
    "SourceRef",
    "grading_config_validator",
    "load_course",
]
