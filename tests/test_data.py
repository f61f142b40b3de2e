"""IDX parsing and its errors, the shipped MNIST and its checksums, minibatches."""
import gzip
import os
import shutil

import numpy as np
import pytest

from tinygan import data

MNIST = data.SHIPPED_MNIST


def idx_bytes(array, dtype_code=0x08):
    header = bytes([0, 0, dtype_code, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.dtype(data.IDX_DTYPES[dtype_code]).newbyteorder(">")).tobytes()


@pytest.mark.parametrize("code", sorted(data.IDX_DTYPES))
def test_parse_idx_round_trips_every_dtype(code):
    array = np.arange(24).reshape(2, 3, 4) % 100
    parsed = data.parse_idx(idx_bytes(array, code))
    np.testing.assert_array_equal(parsed, array)
    assert parsed.dtype.isnative


def test_gzip_and_raw_files_read_the_same(tmp_path):
    payload = idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4))
    (tmp_path / "raw").write_bytes(payload)
    (tmp_path / "packed.gz").write_bytes(gzip.compress(payload))
    assert data.read_bytes(str(tmp_path / "raw")) == data.read_bytes(str(tmp_path / "packed.gz"))


@pytest.mark.parametrize("mangle, message", [
    (lambda b: b[:-5], r"truncated: header says \(3, 4\) of uint8, which needs 24 bytes, but the file has 19"),
    (lambda b: b + b"\0", "has trailing bytes"),
    (lambda b: b"\x01" + b[1:], "wrong magic number"),
    (lambda b: b[:2] + b"\x07" + b[3:], "wrong magic number"),
    (lambda b: b[:6], "truncated header"),
    (lambda b: b[:2], "too short for an IDX header"),
])
def test_bad_idx_bytes_are_named(mangle, message):
    good = idx_bytes(np.zeros((3, 4), np.uint8))
    with pytest.raises(data.DataError, match=message) as error:
        data.parse_idx(mangle(good), "some/file-idx")
    assert "some/file-idx" in str(error.value)


def test_corrupt_gzip_is_named(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(np.random.default_rng(0).bytes(1000))[:500])
    with pytest.raises(data.DataError, match="train-images-idx3-ubyte.gz: cannot read"):
        data.read_bytes(str(path))


@pytest.fixture(scope="module")
def mnist():
    return data.load_mnist(MNIST)


def test_shipped_mnist_has_the_papers_splits(mnist):
    shapes = {split: (images.shape, labels.shape) for split, (images, labels) in mnist.items()}
    assert shapes == {"train": ((50000, 784), (50000,)), "valid": ((10000, 784), (10000,)),
                      "test": ((10000, 784), (10000,))}
    assert mnist["train"][0].dtype == np.uint8 and set(np.unique(mnist["test"][1])) == set(range(10))
    pixels = data.to_unit_float(mnist["train"][0][:10])
    assert pixels.dtype == np.float32 and pixels.min() == 0.0 and pixels.max() == 1.0


def _copy_mnist(tmp_path):
    folder = tmp_path / "mnist"
    shutil.copytree(MNIST, folder)
    return folder


def test_checksum_mismatch_is_named(tmp_path):
    folder = _copy_mnist(tmp_path)
    sums = (folder / data.CHECKSUM_FILE).read_text().replace("ff7bcf", "000000")
    (folder / data.CHECKSUM_FILE).write_text(sums)
    with pytest.raises(data.DataError, match=r"t10k-labels-idx1-ubyte.gz: SHA-256 .* RAW-SHA256SUMS expects 000000"):
        data.load_mnist(str(folder))


def test_label_count_mismatch_is_named(tmp_path):
    folder = _copy_mnist(tmp_path)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros(9999, np.uint8))))
    (folder / data.CHECKSUM_FILE).unlink()
    with pytest.raises(data.DataError, match=r"t10k-images-idx3-ubyte holds \(10000, 28, 28\) and "
                                             r"t10k-labels-idx1-ubyte holds \(9999,\)"):
        data.load_mnist(str(folder))


def test_images_of_another_size_are_refused_unless_any_size_is_asked_for(tmp_path):
    folder = _copy_mnist(tmp_path)
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros((10000, 32, 32), np.uint8))))
    (folder / data.CHECKSUM_FILE).unlink()
    with pytest.raises(data.DataError, match="t10k-images-idx3-ubyte holds 32×32 images; tinygan's MNIST networks, "
                                             "grids and classifier take 28×28"):
        data.load_mnist(str(folder))
    assert data.load_mnist(str(folder), image_shape=None)["test"][0].shape == (10000, 32 * 32)


def test_a_malformed_checksum_file_is_named(tmp_path):
    folder = _copy_mnist(tmp_path)
    (folder / data.CHECKSUM_FILE).write_text("deadbeef train-images-idx3-ubyte extra\n")
    with pytest.raises(data.DataError, match="RAW-SHA256SUMS: line 1 is not '<SHA-256 in hex> <file name>'"):
        data.load_mnist(str(folder))


def test_missing_file_is_named(tmp_path):
    with pytest.raises(data.DataError, match="no train-images-idx3-ubyte.gz or train-images-idx3-ubyte"):
        data.load_mnist(str(tmp_path))


def test_fashion_mnist_folder_loads_where_installed():
    folder = "/usr/share/datasets/fashion-mnist"
    if not os.path.isdir(folder):
        pytest.skip("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
    assert data.load_mnist(folder)["train"][0].shape == (50000, 784)


def test_minibatches_are_seeded_shuffled_and_resumable():
    images = np.arange(100, dtype=np.uint8).reshape(50, 2)
    batches = data.Minibatches(images, batch_size=8, seed=3)
    assert batches.batches_per_epoch == 6
    epoch = list(batches.epoch(0))
    rows = np.concatenate(epoch)[:, 0] * 255 / 2
    assert len(set(rows.round().astype(int))) == 48            # no row twice; 2 dropped
    np.testing.assert_array_equal(np.concatenate(list(batches.epoch(0, start_batch=4))),
                                  np.concatenate(epoch[4:]))
    assert not np.array_equal(np.concatenate(list(batches.epoch(1))), np.concatenate(epoch))
    with pytest.raises(ValueError, match="batch size 51"):
        data.Minibatches(images, 51, 0)


# ----------------------------------------------------------------------------- a folder of images

def write_images(folder, count, size=(12, 12), mode="RGB", suffix=".png", seed=0):
    """``count`` random images in ``folder`` and a sub-folder of it, returned as {relative path: array}."""
    from PIL import Image
    rng, written = np.random.default_rng(seed), {}
    for i in range(count):
        name = os.path.join("sub" if i % 2 else "", f"img_{i:02d}{suffix}")
        os.makedirs(os.path.join(folder, os.path.dirname(name)), exist_ok=True)
        pixels = rng.integers(0, 256, (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0]), dtype=np.uint8)
        Image.fromarray(pixels, mode).save(os.path.join(folder, name))
        written[name] = pixels
    return written


def test_a_folder_of_images_loads_sorted_by_path_as_rows_of_pixels(tmp_path):
    written = write_images(tmp_path, 6)
    dataset = data.load(str(tmp_path), channels=3, size=12)
    images, labels = dataset.splits["train"]
    assert dataset.image_shape == (12, 12, 3) and images.shape == (6, 12 * 12 * 3) and images.dtype == np.uint8
    assert labels is None and dataset.note == ""
    for row, name in zip(images, sorted(written)):          # sub/img_01.png after img_04.png: sorted paths
        np.testing.assert_array_equal(row.reshape(12, 12, 3), written[name])


def test_grey_conversion_resizing_and_the_central_square(tmp_path):
    from PIL import Image
    pixels = np.zeros((10, 30), np.uint8)
    pixels[:, 10:20] = 255                                   # a white square in the middle of a wide image
    Image.fromarray(pixels).save(tmp_path / "wide.png")
    dataset = data.load(str(tmp_path), channels=1, size=5)
    assert dataset.image_shape == (5, 5, 1)
    assert dataset.splits["train"][0].min() == 255          # the crop kept the central 10 × 10 only


def test_mixed_modes_are_converted_and_said_once(tmp_path):
    write_images(tmp_path, 3, mode="RGB")
    write_images(tmp_path / "grey", 2, mode="L", seed=1)
    dataset = data.load(str(tmp_path), channels=1, size=12)
    assert dataset.splits["train"][0].shape == (5, 144)
    assert dataset.note == f"{tmp_path}: converted 3 of 5 images (3 RGB) to L"


@pytest.mark.parametrize("problem", ["empty", "truncated", "not an image"])
def test_a_bad_folder_of_images_is_named_in_one_line(problem, tmp_path):
    if problem == "empty":
        (tmp_path / "notes.txt").write_text("no pictures here")
        expected = f"{tmp_path}: no train-images-idx3-ubyte(.gz) of MNIST-format data and no PNG or JPEG images"
    elif problem in ("truncated", "not an image"):
        write_images(tmp_path, 2)
        broken = tmp_path / "img_00.png"
        broken.write_bytes(broken.read_bytes()[:60] if problem == "truncated" else b"plain text, not a PNG")
        expected = f"{broken}: not a readable PNG or JPEG image"
    with pytest.raises(data.DataError) as error:
        data.load(str(tmp_path), channels=3, size=12)
    assert str(error.value).startswith(expected) and "\n" not in str(error.value)


def test_mnist_format_files_refuse_the_image_folder_options():
    with pytest.raises(data.DataError, match="MNIST-format files hold 1 × 28 × 28 images; --channels and --image-size"):
        data.load(data.SHIPPED_MNIST, channels=3)
    assert data.load(data.SHIPPED_MNIST).image_shape == (28, 28, 1)
