"""The shared vocabulary of free-text rubrics: named synonym sets, referred to as ``@name``.

A rubric's own ``terms`` add sets or replace one of these for that question. Each entry is a
phrase as in a rubric (see ``claims``): a word of five or more letters, and a phrase's last word
of four, also matches as a prefix, so ``increas`` covers increase, increases, increasing and
increased; irregular forms (``rose``, ``fell``) are listed. British spellings need no entry of
their own: ``memorise`` is read as ``memorize`` everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["SHARED_TERMS"]

_TERMS: dict[str, list[str]] = {
    # --- what is measured -----------------------------------------------------------------
    "loss": [
        "loss", "error", "cost", "mse", "mean squared error", "cross entropy", "loss value",
        "loss curve", "error curve", "cost curve", "error rate", "loss function", "loss score",
    ],
    "accuracy": ["accuracy", "accuracies", "performance", "score", "f1", "f1 score", "results"],
    "training": ["training", "train", "trainings", "in sample"],
    "validation": [
        "validation", "val", "validating", "test", "testing", "dev", "development", "held out",
        "heldout", "holdout", "hold out", "unseen", "out of sample", "generalization",
        "evaluation", "eval", "cross validation",
    ],
    "data_noun": ["data", "set", "dataset", "data set", "examples", "samples", "points", "split"],
    "training_data": [
        "@training @data_noun", "data it was trained on", "data it has seen", "seen data",
        "data it learned from", "known data", "data it trained on", "training",
    ],
    "validation_data": [
        "@validation @data_noun", "new data", "new examples", "new samples", "new inputs",
        "fresh data", "other data", "data * has never seen", "data * has not seen",
        "data * hasn't seen", "data * hasnt seen", "data * did not see",
        "data * didn't see", "data * never saw", "data * was not trained on",
        "data * wasn't trained on", "data * has not been trained on", "data not seen",
        "unseen",
        "data not used for training", "data outside the training set", "real world data",
        "test",
    ],
    "training_loss": [
        "@training @loss", "@loss on * @training_data", "@loss of * @training_data",
        "@loss for * @training_data", "@loss in training", "@loss during training",
        "training curve", "train curve",
    ],
    "validation_loss": [
        "@validation @loss", "@loss on * @validation_data", "@loss of * @validation_data",
        "@loss for * @validation_data", "@loss in validation", "@loss at validation",
        "validation curve", "val curve", "test curve",
    ],
    "training_accuracy": [
        "@training @accuracy", "@accuracy on * @training_data", "@accuracy of * @training_data",
        "@accuracy in training", "@accuracy during training",
    ],
    "validation_accuracy": [
        "@validation @accuracy", "@accuracy on * @validation_data",
        "@accuracy of * @validation_data", "@accuracy in validation",
    ],
    "model": [
        "model", "network", "net", "ann", "neural network", "neural net", "nn", "classifier",
        "it", "the system", "learner",
    ],
    # --- which way it goes -----------------------------------------------------------------
    "goes_up": [
        "rise", "rises", "rising", "risen", "rose", "increas", "goes up", "go up", "going up",
        "went up", "gone up", "climb", "grows", "grow", "growing", "grew", "grown",
        "gets higher", "get higher", "getting higher", "got higher", "goes higher",
        "shoots up", "shot up", "spikes", "spiking", "jumps up", "jumps", "creeps up",
        "creeping up", "turns up", "turns upward", "trends up", "trending up", "heads up",
        "heading up", "bounces back", "bounces up", "rebound", "moves up", "moving up",
        "upward", "upwards", "goes back up", "going back up", "comes back up", "picks up",
        "skyrocket", "balloons", "explod", "blows up", "soars",
    ],
    "goes_down": [
        "fall", "falls", "falling", "fell", "fallen", "decreas", "drops", "dropped",
        "dropping", "drop", "goes down", "go down", "going down", "went down", "gone down",
        "declin", "reduc", "shrink", "shrank", "shrunk", "diminish", "gets lower",
        "get lower", "getting lower", "got lower", "goes lower", "gets smaller",
        "get smaller", "getting smaller", "got smaller", "lessen", "sinks", "sinking",
        "sank", "descend", "trends down", "trending down", "heads down", "heading down",
        "downward", "downwards", "comes down", "coming down", "came down", "lowers",
        "lowered", "lowering", "minimiz", "tumbles", "plummet", "dips", "dipping",
    ],
    "gets_better": [
        "improv", "gets better", "get better", "getting better", "got better",
        "becomes better", "keeps improving", "better",
    ],
    "gets_worse": [
        "worsen", "gets worse", "get worse", "getting worse", "got worse", "becomes worse",
        "became worse", "deteriorat", "degrad", "worse", "suffers",
    ],
    "loss_rises": ["@goes_up", "@gets_worse"],
    "loss_falls": ["@goes_down", "@gets_better"],
    "accuracy_rises": ["@goes_up", "@gets_better"],
    "accuracy_falls": ["@goes_down", "@gets_worse"],
    "is_high": [
        "is high", "are high", "stays high", "remain high", "remains high", "is very high",
        "is really high", "high", "is good", "are good", "is great", "is excellent",
        "is near 100", "close to 100", "is high too", "high as well", "good as well",
    ],
    "is_low": [
        "is low", "are low", "stays low", "remains low", "is very low", "is poor", "is bad",
        "low", "poor", "bad",
    ],
    "flattens": [
        "flatten", "flat", "plateau", "level off", "levels off", "leveling off",
        "leveled off", "levels out", "level out", "leveling out", "leveled out", "stabiliz",
        "steadies", "stays steady", "holds steady", "becomes steady", "steady",
        "settl", "stagnat", "stops improving", "stop improving", "stopped improving",
        "stops decreasing", "stop decreasing", "stopped decreasing", "stops dropping",
        "stops falling", "stop falling", "stops changing", "stop changing",
        "stopped changing", "stops going down", "stop going down", "stops moving",
        "no longer improv", "no longer decreas", "no longer chang", "no longer drop",
        "no longer fall", "no longer goes down", "no longer moves",
        "not change much", "not improve much", "not decrease much", "not drop much",
        "doesn't change much", "doesnt change much", "doesn't improve much",
        "doesn't decrease much", "barely chang", "hardly chang", "barely decreas",
        "hardly decreas", "barely improv", "hardly improv", "barely mov", "hardly mov",
        "changes little", "changes very little", "changes only slightly", "changes slightly",
        "becomes constant", "stays constant", "remains constant", "stays the same",
        "remains the same", "stays roughly the same", "stays about the same",
        "nearly constant", "almost constant", "roughly constant", "more or less constant",
        "tapers off", "tapering off", "tapered off", "saturat", "asymptot", "converges to",
        "reaches a minimum", "reach a minimum", "reaches its minimum", "reaches a plateau",
        "hits a plateau", "bottoms out", "evens out", "evens off", "slows down",
        "stops at a low", "stays at a low", "settles",
    ],
    # --- what the model does ----------------------------------------------------------------
    "overfitting": [
        "overfit", "over fit", "overtrain", "over train", "overfitted", "high variance",
    ],
    "underfitting": ["underfit", "under fit", "undertrain", "under train", "high bias"],
    "memorizes": [
        "memoriz", "learns by heart", "learned by heart", "learnt by heart", "learning by heart",
        "learns the training data too well", "learned the training data too well",
        "learning the training data too well", "learns the training set too well",
        "fits the training data too well", "fitting the training data too well",
        "fits the training data too closely", "fits the noise", "fitting the noise",
        "fitted the noise", "learns the noise", "learning the noise", "learned the noise",
        "learnt the noise", "picks up the noise", "picks up noise", "learns noise",
        "fits noise", "too well", "too closely", "rote", "by heart",
    ],
    "generalizes": [
        "generaliz", "generalization", "performs well on @validation_data",
        "does well on @validation_data", "works well on @validation_data",
        "predicts @validation_data well", "transfers to @validation_data",
    ],
    "generalizes_badly": [
        "generaliz poorly", "generaliz badly", "generaliz worse", "generaliz less",
        "poor generaliz", "bad generaliz", "weak generaliz", "worse generaliz",
        "poorer generaliz", "lost * generaliz", "loses * generaliz", "losing * generaliz",
        "generalization is poor", "generalization gets worse", "generalization suffers",
        "performs poorly on @validation_data", "performs badly on @validation_data",
        "performs worse on @validation_data", "does poorly on @validation_data",
        "does badly on @validation_data", "does worse on @validation_data",
        "is poor on @validation_data", "is bad on @validation_data",
        "is worse on @validation_data", "fails on @validation_data",
        "struggles on @validation_data", "struggles with @validation_data",
        "poor on @validation_data", "bad on @validation_data", "worse on @validation_data",
        "poorly on @validation_data", "badly on @validation_data",
        "worse at @validation_data", "poor performance on @validation_data",
        "bad performance on @validation_data", "worse performance on @validation_data",
        "poor results on @validation_data", "bad results on @validation_data",
        "worse results on @validation_data",
    ],
    # --- remedies, proposed as actions --------------------------------------------------------
    "act": [
        "use", "using", "used", "add", "adding", "added", "apply", "applying", "applied",
        "try", "trying", "introduce", "introducing", "include", "including", "employ",
        "employing", "implement", "implementing", "get", "getting", "gather", "gathering",
        "collect", "collecting", "increase", "increasing", "switch to", "go with", "go for",
        "need", "needs", "consider", "recommend", "suggest", "put", "insert", "turn on",
        "train with", "retrain with", "via", "choose", "pick", "prefer",
        "opt for", "rely on", "stronger", "more", "obtain", "acquire",
        "generate", "set up", "enable", "utiliz", "leverage", "fix it with", "fixed with",
        "fixed by", "solved by", "solve it with", "solve with", "is fixed by", "help of",
        "start using", "should use", "would use", "i'd use", "id use", "i would use",
        "check", "checking", "compare", "comparing", "compared", "look at", "looking at",
        "monitor", "monitoring", "watch", "watching", "track", "tracking", "plot", "plotting",
        "evaluate", "evaluating", "evaluate on", "test on", "measure", "measuring", "inspect",
        "verify", "validate on",
    ],
    "answer_before": [
        "is", "are", "was", "it's", "its", "that's", "thats", "means", "mean", "meant",
        "indicates", "indicate", "suggests", "suggest", "shows", "show", "signals", "implies",
        "sign of", "signs of", "case of", "symptom of", "indication of", "because of",
        "due to", "result of", "called", "known as", "probably", "likely", "definitely",
        "clearly", "classic", "typical", "in", "on", "into", "inside", "at", "to", "i'd",
        "i would", "would be", "answer", "go with", "experiencing", "suffering from",
        "suffers from", "has", "have", "be", "being", "answer is", "choose", "pick",
        "prefer", "use", "using",
    ],
    "answer_after": [
        "is happening", "is occurring", "is the problem", "is the issue", "is the cause",
        "is the answer", "is going on", "is present", "is likely", "is the reason",
        "happens", "happening", "occurs", "occurring", "has occurred", "has set in",
        "sets in", "set in", "kicks in", "kicked in", "started", "starts", "begins",
        "began", "is what", "is the culprit", "is to blame", "would be best", "is best",
        "is the best", "is the right", "is the correct", "would be the best",
        "would work best", "works best", "is ideal", "is the way", "because", "since",
        "as it", "as they", "given that",
    ],
    "harms": [
        "make * worse", "makes * worse", "made * worse", "worsen", "is a bad idea",
        "is wrong", "hurts", "would hurt", "is harmful", "is counterproductive",
        "backfires", "increases overfitting", "cause more overfitting",
        "causes more overfitting", "lead to more overfitting", "leads to more overfitting",
        "leads to overfitting", "causes overfitting", "cause overfitting", "would overfit",
        "will overfit", "would just overfit", "is risky", "is a bad choice", "is overkill",
        "would be overkill", "is not a good idea", "isn't a good idea",
    ],
    "helps": [
        "helps", "help", "would help", "will help", "can help", "could help", "prevents",
        "prevent", "reduces overfitting", "fixes", "fix", "solves", "solve", "works",
        "would work", "combat", "counter", "mitigat", "avoids", "is the fix", "is a fix",
        "is the solution", "is a solution", "is the remedy", "is a remedy", "is a good idea",
        "is needed", "is recommended", "should be used", "can be used", "could be used",
        "should be added", "can be added", "should be applied", "reduces it",
        "regulariz the model", "cures",
    ],
    "remedy": [
        "dropout", "drop out", "dropout layers", "regulariz", "l1", "l2", "l1 regulariz",
        "l2 regulariz", "weight decay", "weight penalty", "early stop", "earlystop",
        "early stopping callback", "data augment", "augment", "augmentation",
        "more data", "more training data", "more * data", "more samples", "more examples",
        "more training examples", "a bigger dataset", "a larger dataset", "bigger dataset",
        "larger dataset", "simpler model", "a simpler model", "smaller model",
        "a smaller model", "smaller network", "simpler network", "fewer layers",
        "fewer neurons", "fewer units", "fewer parameters", "less layers", "less neurons",
        "fewer epochs", "less epochs", "patience", "restore_best_weights",
        "restore best weights", "best epoch", "best weights", "checkpoint",
    ],
    "remedy_verbs": [
        "regulariz the model", "regulariz the network", "regulariz it", "regulariz more",
        "regularizing the", "stop training early", "stop early", "stopping early",
        "stop * earlier", "stop the training", "stop training", "stopping training",
        "stop at epoch", "stop at the best", "stop around epoch", "stop near epoch",
        "stop at about epoch", "stop after epoch", "stop after * epochs",
        "stop when the @loss", "stop once the @loss", "halt training", "end training",
        "augment the data", "augment the dataset", "augment the training",
        "augmenting the data", "simplify the model", "simplify the network",
        "simplifying the model", "reduce the model complexity", "reduce model complexity",
        "reduce the complexity", "reduce complexity", "reducing complexity",
        "reduce the number of layers", "reduce the number of neurons",
        "reduce the number of parameters", "reduce the number of epochs",
        "train for fewer epochs", "train fewer epochs", "train less",
        "make the model smaller", "make the model simpler", "make the network smaller",
        "shrink the model", "collect more data", "gather more data", "get more data",
        "get more training data", "collect more training data", "add more data",
        "add more training data", "roll back to the best", "go back to the best",
        "keep the best", "keep the weights from", "restore the best", "prune",
    ],
    # Words that are one slip away from a vocabulary word but mean something else; listed so
    # they are never read as that word.
    "confusables": [
        "raising", "raise", "raises", "raised", "failing", "fails", "failed", "trial",
        "trail", "retaining", "remaining", "gaining", "falsing", "loses", "losing", "lose",
        "lost", "dropout", "testify", "validate", "tested", "training", "trainer",
        "increment", "decrement", "flattery", "flatter", "lower", "lowest", "higher",
        "highest", "plate", "platform", "settings", "setting", "setup", "steadfast",
        "rising", "rinsing", "crises", "crisis", "arise", "arises", "arising", "arose",
        "rely", "reply", "memory", "memo", "generally", "general", "generate", "generated",
        "generating", "generator", "improvise", "prove", "approve", "declare", "decline",
        "reduce", "produce", "induce", "introduce", "deduce",
    ],
}  # fmt: skip

SHARED_TERMS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {name: tuple(items) for name, items in _TERMS.items()}
)
