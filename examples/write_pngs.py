"""Write the training images of an MNIST-format folder as PNG files: a folder of images, as
`mnist_gan.py --data DIR` reads your own.

    python examples/write_pngs.py /usr/share/datasets/fashion-mnist runs/fashion_pngs
    python examples/mnist_gan.py --preset dcgan --data runs/fashion_pngs --out runs/fashion_dcgan

Writes OUT/<label>/<index>.png for the 60,000 training images (train and valid splits, in file
order), 28 × 28 grey; refuses an OUT that already holds files.
"""
import os

import numpy as np
from PIL import Image

from tinygan import cli, data


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("data", help="a folder with the four MNIST-format IDX files")
    parser.add_argument("out", help="the folder to write the PNG files into")
    args = parser.parse_args(argv)
    if os.path.isdir(args.out) and os.listdir(args.out):
        cli.fail(f"{args.out}: already holds files; choose an empty or new folder", cli.USAGE_ERROR)
    try:
        splits = data.load_mnist(args.data)
    except data.DataError as error:
        cli.fail(str(error))
    images = np.concatenate([splits["train"][0], splits["valid"][0]])
    labels = np.concatenate([splits["train"][1], splits["valid"][1]])
    for index, (pixels, label) in enumerate(zip(images, labels)):
        folder = os.path.join(args.out, str(label))
        os.makedirs(folder, exist_ok=True)
        Image.fromarray(pixels.reshape(data.IMAGE_SHAPE)).save(os.path.join(folder, f"{index:05d}.png"))
    print(f"wrote {len(images):,} PNG files under {args.out}/")


if __name__ == "__main__":
    main()
