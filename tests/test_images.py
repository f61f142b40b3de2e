"""Pictures: grids tile row-major; an animation of many epochs keeps a bounded, ordered set of frames."""
import numpy as np
from PIL import Image, ImageSequence

from tinygan import images


def test_tile_places_image_i_at_row_i_div_cols_and_column_i_mod_cols():
    tiles = np.arange(6, dtype=np.float32)[:, None].repeat(4, axis=1) / 5        # image i: all pixels i/5
    canvas = images.tile(tiles, cols=4, image_shape=(2, 2), pad=1, pad_value=1.0)
    assert canvas.shape == (2 * 3 + 1, 4 * 3 + 1)
    for i in range(6):
        top, left = 1 + (i // 4) * 3, 1 + (i % 4) * 3
        assert (canvas[top:top + 2, left:left + 2] == round(255 * i / 5)).all()
    assert (canvas[0] == 255).all() and (canvas[4:6, 7:9] == 255).all()         # padding, and an empty cell


def test_an_animation_of_many_frames_shows_at_most_max_frames_evenly_spaced_first_and_last_kept(tmp_path):
    paths = []
    for i in range(25):                                # frame i: every pixel i·10, so a frame says which it is
        paths.append(str(tmp_path / f"epoch_{i:03d}.png"))
        images.save_png(np.full((4, 4), 10 * i, np.uint8), paths[-1])
    images.save_gif(paths, str(tmp_path / "a.gif"), max_frames=5)
    shown = [int(np.asarray(frame.convert("L"))[0, 0]) // 10 for frame in ImageSequence.Iterator(Image.open(tmp_path / "a.gif"))]
    assert shown == [0, 6, 12, 18, 24]
    images.save_gif(paths[:3], str(tmp_path / "b.gif"), max_frames=5)
    assert Image.open(tmp_path / "b.gif").n_frames == 3
