"""Every free-text rubric of the real course, attacked with right and wrong answers.

Each question gets the handout's own answer and paraphrases in other words (with typical
misspellings) that must be graded correct, and reversed claims, plausible wrong answers,
negated keywords and contradictory keyword lists that must not. For questions with a choice
part the right choice is sent, so the text alone decides, unless a case names a choice.

A concept is credited only when the answer states it as a claim: keyword lists without a
claim ("overfitting underfitting dropout") earn nothing, and a remedy must be proposed as an
action ("add dropout"), not merely named. The answer tables in
``fixtures/course/answer_tables`` hold many more cases of every kind.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from annquiz.courses.content import CourseDef, QuestionDef, load_course
from annquiz.courses.grading import Grade, grade

COURSE_DIR = Path(__file__).resolve().parents[3] / "fixtures" / "course"

CORRECT: list[tuple[str, str]] = [
    # Rainfall: why an ANN rather than if-else rules?
    (
        "checkpoint-rainfall",
        "Weather depends on many interacting factors in a non linear way; "
        "a neural net learns this from historical data, while hand-written rules can't cover "
        "every combination.",
    ),
    (
        "checkpoint-rainfall",
        "The relationship is nonlinaer and complicated, the network is "
        "trained on past weather and generalises to new days.",
    ),
    # Q1: weights
    (
        "q1-weights",
        "They determin how strongly each input influnces the output, and get "
        "updatd during trainig to reduce the eror.",
    ),
    (
        "q1-weights",
        "Each weight sets the importance of its input; backpropagation adjusts "
        "the weights to minimise the loss.",
    ),
    # Q2: bias
    (
        "q2-bias",
        "It adds a constant offset so the activation can move up or down, like b in y = mx + b.",
    ),
    (
        "q2-bias",
        "The bias shifts the decision boundary away from the origin, so the neuron "
        "can fire even when all inputs are zero.",
    ),
    (
        "q2-bias",
        "It acts like the intercept of a straight line, which lets the model fit the data better.",
    ),
    # Stock prices
    (
        "checkpoint-stock-prices",
        "An LSTM, since stock prices are a time series and it remembers previous values.",
    ),
    (
        "checkpoint-stock-prices",
        "I'd use a recurent network because the data is sequencial "
        "and tomorrow depends on earlier prices.",
    ),
    ("checkpoint-stock-prices", "RNN, CNN is for images; prices are sequential."),
    # input_dim
    (
        "checkpoint-input-dim",
        "Put it on the input layer (the first Dense), so Keras knows "
        "how many columns each sample has.",
    ),
    (
        "checkpoint-input-dim",
        "In the first Dense layer, because it defines the nummber of input featres.",
    ),
    ("checkpoint-input-dim", "In the 1st layer: it tells the model the shape of the input data."),
    # Q3: SGD
    (
        "q3-sgd-slow",
        "Each update uses just one example, so the path zigzags, and with a "
        "single fixed step size it needs lots of iterations to reach the minimum.",
    ),
    (
        "q3-sgd-slow",
        "Because the learning rate doesn't adapt and the noisy gradients bounce "
        "around, convergence takes forever.",
    ),
    (
        "q3-sgd-slow",
        "its updates are noisey and it has no adaptive lerning rate, so it needs many more steps",
    ),
    # Loss rises after 5 epochs
    (
        "checkpoint-loss-rises",
        "The model starts to memorise the training set after epoch "
        "5; use early stopping at the best epoch.",
    ),
    ("checkpoint-loss-rises", "Overfiting. Add dropuot or L2 regularisation."),
    (
        "checkpoint-loss-rises",
        "It is overfitting; training for more epochs would make it "
        "worse, so stop earlier and get more data.",
    ),
    # Q7: low loss
    (
        "q7-low-loss",
        "No, the model may just memorize the training set and do badly on validation data.",
    ),
    ("q7-low-loss", "Not necessarily; it could be overfitted, so check the test loss as well."),
    ("q7-low-loss", "Not allways, it might be overfiting."),
    # Q8: converging
    ("q8-converging", "Over the epochs the loss keeps going down and eventually levels off."),
    ("q8-converging", "The error curve drops steadily, then plateaus."),
    ("q8-converging", "The loss decreses and then flatens out."),
    ("q8-converging", "Training keeps reducing the loss until it stays roughly constant."),
    # Q10: detect overfitting
    (
        "q10-detect-overfitting",
        "Compare the curves: the validation loss starts to rise "
        "while the training loss keeps falling.",
    ),
    (
        "q10-detect-overfitting",
        "Training accuracy is much higher than the validation accuracy, and the gap keeps growing.",
    ),
    ("q10-detect-overfitting", "The val loss goes up but the training loss goes down."),
    (
        "q10-detect-overfitting",
        "Great on training data, poor on unseen data: training loss "
        "decreases and validation loss increases.",
    ),
    ("q10-detect-overfitting", "Validaton loss increses while trainning loss decreses."),
    # Q11: high accuracy
    (
        "q11-high-accuracy",
        "No, a model can memorise the training set; it is only good if "
        "the accuracy on unseen data is high as well.",
    ),
    (
        "q11-high-accuracy",
        "Not necessarily, it could be overfitting, so check the validation accuracy too.",
    ),
    ("q11-high-accuracy", "No, only when both training and validaton accuracy are high."),
    # 98 % / 60 %
    (
        "checkpoint-train-98-test-60",
        "The model memorised the training set, so regularise it (L2) or add dropout.",
    ),
    ("checkpoint-train-98-test-60", "It overfits; I'd use early stopping and data augmentation."),
    ("checkpoint-train-98-test-60", "overfiting - get more training data or use a simpler model"),
    # 500 samples
    (
        "checkpoint-500-samples",
        "Logistic regression: 500 rows is too little for a neural "
        "net, which would just memorise the training data.",
    ),
    (
        "checkpoint-500-samples",
        "LogReg, since ANNs need lots of data and would overfit on such a small dataset.",
    ),
    (
        "checkpoint-500-samples",
        "Logistic regresion since neural networks are data hungery and would overfitt 500 samples.",
    ),
    # 20 epochs
    (
        "checkpoint-20-epochs",
        "After epoch 10 the network overfits: it memorises the "
        "training set and does worse on unseen data.",
    ),
    (
        "checkpoint-20-epochs",
        "It's overfitting; it learns the noise in the training data and doesn't generalise.",
    ),
    ("checkpoint-20-epochs", "Overfiting, the model stopped generalizing."),
    ("checkpoint-20-epochs", "Overfitting: it generalizes poorly from epoch 10 on."),
    (
        "checkpoint-20-epochs",
        "It converged well until epoch 10, then it started overfitting and failing to generalize.",
    ),
]

NOT_CORRECT: list[tuple[str, str | None, str]] = [
    # (question, choice or None for the right one, text)
    (
        "checkpoint-rainfall",
        None,
        "If-else rules are better because the relationship is simple and linear.",
    ),
    ("checkpoint-rainfall", None, "An ANN is faster and uses less memory than rules."),
    (
        "checkpoint-rainfall",
        None,
        "An ANN does not learn non-linear relationships and cannot adapt.",
    ),
    (
        "checkpoint-rainfall",
        "b",
        "Because ANN can learn complex, non-linear relationships "
        "between temperature, humidity, and pressure that are hard to capture using fixed "
        "rules.",
    ),
    (
        "q1-weights",
        None,
        "Weights decide which activation function each neuron uses and are fixed during training.",
    ),
    ("q1-weights", None, "Weights introduce non-linearity into the network."),
    ("q1-weights", None, "Weights do not affect the output and are never updated."),
    ("q2-bias", None, "Bias introduces non-linearity into the network."),
    ("q2-bias", None, "Bias does not shift the output; it scales the inputs."),
    ("q2-bias", None, "The bias forces the output through the origin."),
    ("checkpoint-stock-prices", None, "A CNN, because it finds patterns in the price history."),
    ("checkpoint-stock-prices", None, "An RNN can't handle sequences, so a CNN is better."),
    (
        "checkpoint-stock-prices",
        None,
        "A feedforward network, because prices are just numbers and it predicts them in one pass.",
    ),
    ("checkpoint-stock-prices", None, "RNN CNN sequential time series memory"),
    (
        "checkpoint-stock-prices",
        "b",
        "Recurrent Neural Network (RNN) because it can handle "
        "sequential data and learn from patterns over time.",
    ),
    (
        "checkpoint-input-dim",
        None,
        "In the output layer, because it defines the number of classes.",
    ),
    ("checkpoint-input-dim", None, "In model.compile, since compile sets the number of features."),
    ("checkpoint-input-dim", None, "Not in the first layer; the features do not matter."),
    (
        "checkpoint-input-dim",
        "d",
        "In the first Dense layer. It defines how many input features (columns) the model expects.",
    ),
    ("q3-sgd-slow", None, "SGD uses the whole dataset for each update, so each step is expensive."),
    ("q3-sgd-slow", None, "SGD converges quickly in a few steps thanks to momentum."),
    ("q3-sgd-slow", None, "SGD is not noisy and does not need many steps."),
    ("checkpoint-loss-rises", None, "Underfitting; train for more epochs."),
    ("checkpoint-loss-rises", None, "It is not overfitting, so keep training longer."),
    ("checkpoint-loss-rises", None, "Overfitting isn't happening, so dropout is not needed."),
    ("checkpoint-loss-rises", None, "overfitting underfitting"),
    (
        "checkpoint-loss-rises",
        "b",
        "Overfitting. You can apply early stopping, dropout, or get more training data.",
    ),
    ("q7-low-loss", None, "Yes, low loss always means good performance."),
    ("q7-low-loss", None, "Not always, because the learning rate might be too low."),
    ("q7-low-loss", None, "It is not overfitting and the validation loss doesn't matter."),
    ("q7-low-loss", "b", "Not always — you might be overfitting (memorizing the training data)."),
    ("q8-converging", None, "The loss keeps increasing and never flattens."),
    ("q8-converging", None, "The loss increases over the epochs and then levels off."),
    ("q8-converging", None, "When the learning rate decreases and the weights are constant."),
    ("q8-converging", None, "The loss does not decrease and does not flatten."),
    ("q8-converging", None, "loss increase decrease flatten"),
    ("q10-detect-overfitting", None, "Training loss increases while validation loss decreases."),
    ("q10-detect-overfitting", None, "Validation loss decreases."),
    ("q10-detect-overfitting", None, "The test data accuracy is higher."),
    ("q10-detect-overfitting", None, "The validation loss is lower than the training loss."),
    (
        "q10-detect-overfitting",
        None,
        "The training accuracy drops and the validation accuracy rises.",
    ),
    ("q10-detect-overfitting", None, "training loss validation loss increase decrease"),
    (
        "q10-detect-overfitting",
        None,
        "The validation loss does not increase and the training loss does not decrease.",
    ),
    ("q11-high-accuracy", None, "Yes, high accuracy is always good."),
    (
        "q11-high-accuracy",
        None,
        "Only if the training accuracy is high; the test accuracy does not matter.",
    ),
    ("q11-high-accuracy", None, "It depends on the learning rate."),
    ("q11-high-accuracy", "b", "Only if both training and validation accuracy are high."),
    ("checkpoint-train-98-test-60", None, "Underfitting: add more layers and train longer."),
    ("checkpoint-train-98-test-60", None, "It isn't overfitting, and dropout won't help."),
    ("checkpoint-train-98-test-60", None, "Data imbalance; use class weights or SMOTE."),
    ("checkpoint-train-98-test-60", None, "overfitting underfitting dropout"),
    (
        "checkpoint-train-98-test-60",
        "b",
        "Overfitting. Try adding dropout layers, regularization, or early stopping.",
    ),
    (
        "checkpoint-500-samples",
        None,
        "Logistic regression needs large datasets and would overfit, so use an ANN.",
    ),
    (
        "checkpoint-500-samples",
        None,
        "Logistic regression, because it is a deep model that learns features automatically.",
    ),
    (
        "checkpoint-500-samples",
        None,
        "Logistic regression; the dataset isn't small and an ANN won't overfit.",
    ),
    ("checkpoint-500-samples", "a", "I'd pick an ANN: logistic regression needs large datasets"),
    (
        "checkpoint-500-samples",
        "a",
        "Logistic regression. ANN needs large datasets and may overfit with only 500 rows.",
    ),
    ("checkpoint-20-epochs", None, "It is converging well and generalizes."),
    ("checkpoint-20-epochs", None, "The model is not overfitting, it converged."),
    ("checkpoint-20-epochs", None, "It is underfitting, so train for more epochs."),
    ("checkpoint-20-epochs", None, "The model generalizes well to new data."),
    ("checkpoint-20-epochs", None, "It generalizes poorly? No: it is still learning well."),
    ("checkpoint-20-epochs", None, "overfitting underfitting generalization"),
]


@pytest.fixture(scope="module")
def course() -> CourseDef:
    return load_course(COURSE_DIR)


def free_text_questions(course: CourseDef) -> dict[str, QuestionDef]:
    return {
        q.key: q for lesson in course.lessons for q in lesson.questions if q.kind == "free_text"
    }


def grade_answer(question: QuestionDef, text: str, choice: str | None = None) -> Grade:
    response = {"text": text}
    if question.config.get("choices"):
        right = next(c["key"] for c in question.config["choices"] if c.get("correct"))
        response["choice"] = choice or right
    return grade(question.kind, question.config, response)


def test_every_free_text_question_is_attacked_both_ways(course: CourseDef) -> None:
    keys = set(free_text_questions(course))
    right = {key for key, _ in CORRECT}
    wrong = {key for key, _, _ in NOT_CORRECT}
    assert keys <= right and keys <= wrong, sorted(keys - (right & wrong))
    for key in keys:
        assert sum(1 for k, _ in CORRECT if k == key) >= 2, key


@pytest.mark.parametrize(("key", "text"), CORRECT)
def test_a_correct_paraphrase_is_correct(course: CourseDef, key: str, text: str) -> None:
    result = grade_answer(free_text_questions(course)[key], text)
    assert result.verdict == "correct", (result.score, result.feedback)


@pytest.mark.parametrize(("key", "choice", "text"), NOT_CORRECT)
def test_a_wrong_answer_is_not_correct(
    course: CourseDef, key: str, choice: str | None, text: str
) -> None:
    result = grade_answer(free_text_questions(course)[key], text, choice)
    assert result.verdict != "correct", (result.score, result.feedback)
