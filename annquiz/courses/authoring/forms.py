"""The instructor's form for a question: plain fields and formsets (one row per hint, option,
concept, contradiction, claim, term and test answer), translated to and from a
``QuestionContent``. No JSON: lists of phrases are written one per line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.forms import BaseFormSet, formset_factory

from annquiz.courses.authoring.content import QuestionContent

VERDICT_CHOICES = [("correct", "correct"), ("partial", "partial"), ("incorrect", "incorrect")]
AS_CHOICES = [
    ("answer", "stands as the answer"),
    ("action", "proposed as an action"),
    ("mention", "any mention"),
]
CLAIM_FORMS = [("relation", "subject + predicate"), ("term", "a term")]
POLARITIES = [("positive", "stated"), ("negative", "stated negated")]
CASE_KINDS = [
    (kind, kind)
    for kind in (
        "model-answer",
        "paraphrase",
        "terse",
        "spelling",
        "long-right",
        "keyword-dump",
        "negation",
        "reversal",
        "contradiction",
        "off-topic",
        "question-copy",
        "hidden",
        "wrong-concept",
        "partial",
        "wrong-choice",
    )
]
CHOICE_KINDS = ("single_choice", "multiple_choice", "free_text")


class LinesField(forms.CharField):
    """A list of phrases, one per line (blank lines ignored)."""

    widget = forms.Textarea(attrs={"rows": 2})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list | tuple):
            return [str(item).strip() for item in value if str(item).strip()]
        text = super().to_python(value)
        return [line.strip() for line in str(text).splitlines() if line.strip()]

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(initial or "") != self.to_python(data or "")


def _text(rows: int = 4, **kwargs: Any) -> forms.CharField:
    return forms.CharField(widget=forms.Textarea(attrs={"rows": rows}), strip=False, **kwargs)


class QuestionForm(forms.Form):
    # The question's update time when the form was opened: a save over a newer change is a
    # conflict (see ``question_edit``).
    base = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    prompt = _text(rows=5, label="Prompt", help_text="Markdown, as in the lesson files.")
    explanation = _text(
        required=False, label="Explanation", help_text="Markdown; shown once earned."
    )
    model_answer = _text(
        rows=3, required=False, label="Model answer", help_text="Markdown; shown once earned."
    )


class RubricForm(forms.Form):
    """The free-text rubric's own settings (its concepts, claims and terms are formsets)."""

    pass_threshold = forms.FloatField(
        required=False,
        min_value=0.01,
        max_value=1,
        label="Pass threshold",
        help_text="In (0, 1]; empty: 0.7.",
    )
    choice_weight = forms.FloatField(
        required=False,
        min_value=0,
        max_value=1,
        label="Choice weight",
        help_text="Share of the score for the option picked; empty: 0.3 (only with options).",
    )
    topic = LinesField(
        required=False,
        label="Topic",
        help_text="What a sentence without a subject is about; one phrase per line.",
    )


class HintForm(forms.Form):
    text = _text(rows=2, label="Hint", help_text="Markdown; never gives the answer away.")


class ChoiceForm(forms.Form):
    key = forms.SlugField(max_length=40, label="Key")
    text = forms.CharField(max_length=500, label="Text")
    correct = forms.BooleanField(required=False, label="Correct")
    feedback = forms.CharField(max_length=1000, required=False, label="Feedback")


class ConceptForm(forms.Form):
    key = forms.SlugField(max_length=40, label="Key")
    label = forms.CharField(max_length=300, label="Label", help_text='Used in "You stated ...".')
    weight = forms.FloatField(min_value=0.000001, label="Weight")
    missing = forms.CharField(max_length=500, required=False, label="When missing")


class ContradictionForm(forms.Form):
    key = forms.SlugField(max_length=40, label="Key")
    label = forms.CharField(max_length=300, label="Label")
    penalty = forms.FloatField(min_value=0.000001, max_value=1, label="Penalty")
    feedback = forms.CharField(max_length=500, required=False, label="Feedback")


class ClaimForm(forms.Form):
    owner = forms.SlugField(
        max_length=40, label="Of", help_text="The key of its concept or contradiction."
    )
    form = forms.ChoiceField(choices=CLAIM_FORMS, initial="relation", label="Claim")
    subject = LinesField(required=False, label="Subject phrases")
    predicate = LinesField(required=False, label="Predicate phrases")
    term = LinesField(required=False, label="Term phrases")
    mode = forms.ChoiceField(
        choices=AS_CHOICES, initial="answer", required=False, label="A term counts when"
    )
    polarity = forms.ChoiceField(choices=POLARITIES, initial="positive", label="Polarity")
    says = forms.CharField(max_length=300, required=False, label="Says")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("form") == "relation":
            for name in ("subject", "predicate"):
                if not data.get(name):
                    self.add_error(name, "a relation needs at least one phrase here")
        elif data.get("form") == "term" and not data.get("term"):
            self.add_error("term", "a term claim needs at least one phrase")
        return data


class TermForm(forms.Form):
    name = forms.RegexField(
        regex=r"^[a-z0-9_]+$",
        max_length=40,
        label="Name",
        help_text="Lower-case letters, digits and _; used as @name.",
        error_messages={"invalid": "use lower-case letters, digits and _ only"},
    )
    phrases = LinesField(label="Phrases", help_text="One per line.")


class TestAnswerForm(forms.Form):
    text = _text(rows=2, max_length=5000, label="Answer")
    choice = forms.CharField(max_length=40, required=False, label="Option")
    expect = forms.ChoiceField(choices=VERDICT_CHOICES, initial="correct", label="Must get")
    kind = forms.ChoiceField(choices=CASE_KINDS, initial="model-answer", label="Kind")
    why = forms.CharField(max_length=500, label="Why")
    known = forms.CharField(
        max_length=500,
        required=False,
        label="Known miss",
        help_text="Only if the grader is known to get this answer wrong: why. "
        "It may then get another verdict, never a wrong correct.",
    )


if TYPE_CHECKING:
    _FormSet = BaseFormSet[forms.Form]
else:
    _FormSet = BaseFormSet


class RowsFormSet(_FormSet):
    """Rows an instructor filled in, deleted ones left out."""

    def kept_forms(self) -> list[forms.Form]:
        """The rows shown filled in and the new rows filled in, less those marked deleted."""
        initial = self.initial_form_count()
        return [
            form
            for index, form in enumerate(self.forms)
            if (index < initial or form.has_changed()) and not self._should_delete_form(form)  # type: ignore[attr-defined]
        ]

    def rows(self) -> list[dict[str, Any]]:
        return [form.cleaned_data for form in self.kept_forms()]


def _formset(form: type[forms.Form]) -> type[RowsFormSet]:
    formset: type[RowsFormSet] = formset_factory(
        form, formset=RowsFormSet, extra=1, can_delete=True, max_num=200
    )  # type: ignore[assignment]
    return formset


HintFormSet = _formset(HintForm)
ChoiceFormSet = _formset(ChoiceForm)
ConceptFormSet = _formset(ConceptForm)
ContradictionFormSet = _formset(ContradictionForm)
ClaimFormSet = _formset(ClaimForm)
TermFormSet = _formset(TermForm)
TestAnswerFormSet = _formset(TestAnswerForm)


# --- from a config to the forms' initial rows ---------------------------------------------


def _claim_rows(owner: str, claims: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for claim in claims:
        row: dict[str, Any] = {
            "owner": owner,
            "polarity": claim.get("polarity", "positive"),
            "says": claim.get("says", ""),
        }
        if "term" in claim:
            row.update(form="term", term=list(claim["term"]), mode=claim.get("as", "answer"))
        else:
            row.update(
                form="relation", subject=list(claim["subject"]), predicate=list(claim["predicate"])
            )
        rows.append(row)
    return rows


@dataclass
class QuestionForms:
    """Every form and formset of the edit page, bound or not."""

    kind: str
    question: QuestionForm
    hints: RowsFormSet
    choices: RowsFormSet | None
    rubric: RubricForm | None
    concepts: RowsFormSet | None
    contradictions: RowsFormSet | None
    claims: RowsFormSet | None
    terms: RowsFormSet | None
    test_answers: RowsFormSet | None
    base_config: dict[str, Any]  # the config's part the form leaves as it is

    def all(self) -> list[forms.Form | RowsFormSet]:
        parts: list[forms.Form | RowsFormSet | None] = [
            self.question,
            self.hints,
            self.choices,
            self.rubric,
            self.concepts,
            self.contradictions,
            self.claims,
            self.terms,
            self.test_answers,
        ]
        return [part for part in parts if part is not None]

    def is_valid(self) -> bool:
        valid = all([part.is_valid() for part in self.all()])  # every part, for its errors
        owners_known = self._check_owners()
        return valid and owners_known

    def _check_owners(self) -> bool:
        """Each claim names a concept or contradiction of the form."""
        if self.claims is None or self.concepts is None or self.contradictions is None:
            return True
        owners = {
            form.cleaned_data.get("key")
            for formset in (self.concepts, self.contradictions)
            for form in formset.kept_forms()
        }
        valid = True
        for form in self.claims.kept_forms():
            owner = form.cleaned_data.get("owner")
            if owner and owner not in owners:
                form.add_error("owner", "no concept or contradiction above has this key")
                valid = False
        return valid

    @property
    def base(self) -> str:
        """The update time the edit started from (call after ``is_valid``)."""
        return str(self.question.cleaned_data.get("base") or "")

    def content(self, test_answers: list[dict[str, Any]]) -> QuestionContent:
        """The edited content (call after ``is_valid``); ``test_answers`` are kept as they
        are for a question whose kind has no table in the form."""
        data = self.question.cleaned_data
        markdown = {
            "prompt": data["prompt"],
            "explanation": data["explanation"],
            "model_answer": data["model_answer"],
            "hints": [row["text"] for row in self.hints.rows()],
        }
        return QuestionContent(
            markdown=markdown,
            config=self._config(),
            test_answers=self._test_answers() if self.test_answers is not None else test_answers,
        )

    def _choices(self) -> list[dict[str, Any]]:
        assert self.choices is not None
        result = []
        for row in self.choices.rows():
            choice: dict[str, Any] = {
                "key": row["key"],
                "text": row["text"],
                "correct": row["correct"],
            }
            if row["feedback"]:
                choice["feedback"] = row["feedback"]
            result.append(choice)
        return result

    def _config(self) -> dict[str, Any]:
        if self.kind in ("single_choice", "multiple_choice"):
            return {**self.base_config, "choices": self._choices()}
        if self.kind != "free_text":
            return dict(self.base_config)
        assert self.rubric is not None
        settings = self.rubric.cleaned_data
        config: dict[str, Any] = {"rubric": self._rubric(settings)}
        choices = self._choices()
        if choices:
            config["choices"] = choices
            if settings["choice_weight"] is not None:
                config["choice_weight"] = settings["choice_weight"]
        elif settings["choice_weight"] is not None:
            config["choice_weight"] = settings["choice_weight"]  # refused with its reason
        return config

    def _rubric(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        assert self.claims is not None and self.concepts is not None
        assert self.contradictions is not None and self.terms is not None
        claims: dict[str, list[dict[str, Any]]] = {}
        for row in self.claims.rows():
            if row["form"] == "term":
                claim: dict[str, Any] = {"term": row["term"], "as": row["mode"] or "answer"}
            else:
                claim = {"subject": row["subject"], "predicate": row["predicate"]}
            if row["polarity"] == "negative":
                claim["polarity"] = "negative"
            if row["says"]:
                claim["says"] = row["says"]
            claims.setdefault(row["owner"], []).append(claim)
        rubric: dict[str, Any] = {}
        if settings["topic"]:
            rubric["topic"] = settings["topic"]
        terms = {row["name"]: row["phrases"] for row in self.terms.rows()}
        if terms:
            rubric["terms"] = terms
        concepts = []
        for row in self.concepts.rows():
            concept = {
                "key": row["key"],
                "label": row["label"],
                "weight": row["weight"],
                "claims": claims.get(row["key"], []),
            }
            if row["missing"]:
                concept["missing"] = row["missing"]
            concepts.append(concept)
        rubric["concepts"] = concepts
        contradictions = []
        for row in self.contradictions.rows():
            contradiction = {
                "key": row["key"],
                "label": row["label"],
                "penalty": row["penalty"],
                "claims": claims.get(row["key"], []),
            }
            if row["feedback"]:
                contradiction["feedback"] = row["feedback"]
            contradictions.append(contradiction)
        if contradictions:
            rubric["contradictions"] = contradictions
        if settings["pass_threshold"] is not None:
            rubric["pass_threshold"] = settings["pass_threshold"]
        return rubric

    def _test_answers(self) -> list[dict[str, Any]]:
        assert self.test_answers is not None
        cases = []
        for row in self.test_answers.rows():
            case = {"kind": row["kind"], "expect": row["expect"]}
            if row["choice"]:
                case["choice"] = row["choice"]
            case.update(text=row["text"], why=row["why"])
            if row["known"]:
                case["known"] = row["known"]
            cases.append(case)
        return cases


def question_forms(
    kind: str, content: QuestionContent, data: Mapping[str, Any] | None = None, *, base: str = ""
) -> QuestionForms:
    """The edit page's forms for a question of ``kind``: bound to ``data`` (a POST) or
    showing ``content``, opened on the question as of ``base`` (its update time)."""
    markdown, config = content.markdown, content.config
    rubric = config.get("rubric", {})
    has_choices = kind in CHOICE_KINDS
    is_free_text = kind == "free_text"

    def formset(cls: type[RowsFormSet], prefix: str, rows: list[dict[str, Any]]) -> RowsFormSet:
        return (
            cls(data, initial=rows, prefix=prefix)
            if data is not None
            else cls(initial=rows, prefix=prefix)
        )

    claim_rows = [
        row
        for group in ("concepts", "contradictions")
        for item in rubric.get(group, [])
        for row in _claim_rows(item["key"], item.get("claims", []))
    ]
    initial_question = {
        "base": base,
        "prompt": markdown.get("prompt", ""),
        "explanation": markdown.get("explanation", ""),
        "model_answer": markdown.get("model_answer", ""),
    }
    initial_rubric = {
        "pass_threshold": rubric.get("pass_threshold"),
        "choice_weight": config.get("choice_weight"),
        "topic": rubric.get("topic", []),
    }
    result = QuestionForms(
        kind=kind,
        question=QuestionForm(data, initial=initial_question, prefix="question"),
        hints=formset(HintFormSet, "hints", [{"text": h} for h in markdown.get("hints", [])]),
        choices=formset(ChoiceFormSet, "choices", list(config.get("choices", [])))
        if has_choices
        else None,
        rubric=RubricForm(data, initial=initial_rubric, prefix="rubric") if is_free_text else None,
        concepts=formset(
            ConceptFormSet,
            "concepts",
            [{k: v for k, v in c.items() if k != "claims"} for c in rubric.get("concepts", [])],
        )
        if is_free_text
        else None,
        contradictions=formset(
            ContradictionFormSet,
            "contradictions",
            [
                {k: v for k, v in c.items() if k != "claims"}
                for c in rubric.get("contradictions", [])
            ],
        )
        if is_free_text
        else None,
        claims=formset(ClaimFormSet, "claims", claim_rows) if is_free_text else None,
        terms=formset(
            TermFormSet,
            "terms",
            [
                {"name": name, "phrases": phrases}
                for name, phrases in rubric.get("terms", {}).items()
            ],
        )
        if is_free_text
        else None,
        test_answers=formset(TestAnswerFormSet, "tests", list(content.test_answers))
        if is_free_text
        else None,
        base_config={k: v for k, v in config.items() if k != "choices"},
    )
    return result
