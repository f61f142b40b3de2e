"""The shipped MNIST classifier: its accuracy, its provenance, and clear errors."""
import numpy as np
import pytest

from tinygan import checkpoint, classifier, data


def test_the_shipped_classifier_reads_test_digits():
    model, meta = classifier.load()
    images, labels = data.load_mnist()["test"]
    accuracy = (model.predict(data.to_unit_float(images)) == labels).mean()
    assert accuracy == pytest.approx(meta["test_accuracy"], abs=1e-9) and accuracy >= 0.98
    features, probabilities = model.classify(data.to_unit_float(images[:5]))
    assert features.shape == (5, classifier.HIDDEN[-1]) and probabilities.shape == (5, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)


def test_a_file_that_is_not_a_classifier_is_named(tmp_path):
    path = str(tmp_path / "gan.npz")
    checkpoint.save(path, {"a": np.ones(2)}, {"model": "something else"})
    with pytest.raises(checkpoint.CheckpointError, match="gan.npz: not an MNIST classifier"):
        classifier.load(path)
    network = classifier.mnist_classifier()
    state = network.state_dict()
    state["1.W"] = np.zeros((784, 3), np.float32)
    checkpoint.save(path, state, {"model": classifier.MODEL})
    with pytest.raises(checkpoint.CheckpointError, match=r"1.W has shape \(784, 3\)"):
        classifier.load(path)
