"""Conditional sampling with a trained image model: fill in the lower half of Fashion-MNIST
test images (inpainting) and clean noisy ones (denoising), shown as rows of images.

Run with `python examples/inpaint_fashion.py --out DIR --minutes M` (after `make setup`, which
installs Debian's dataset-fashion-mnist). It trains a ConvNet energy model for M minutes
(default 4; or loads DIR/fashion-inpaint.anila when it exists), then:
- inpainting: the top half of each test image is held fixed (`mask`), the lower half starts
  from uniform noise and is drawn by the model's sampler given the top half;
- denoising: chains start at the test image plus Gaussian noise (sd 0.3) and take a few
  steps of the model's sampler toward the model's likely images.
Writes DIR/fashion-inpainting.png.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import anila


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="demo-out", help="folder for the model and the figure")
    ap.add_argument("--minutes", type=float, default=4.0, help="training time, when no saved model exists")
    ap.add_argument("--images", type=int, default=10, help="test images shown")
    ap.add_argument("--steps", type=int, default=200, help="sampler steps for each task")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "fashion-inpaint.anila")
    if os.path.exists(path):
        model = anila.load(path)
        print(f"loaded {path}: {model}")
    else:
        X = anila.datasets.fashion_mnist("train")
        model = anila.train(X, energy="convnet", iterations=10**9, max_seconds=60 * args.minutes,
                            buffer_size=2000, seed=args.seed)
        model.save(path)
        print(f"trained {model.iteration} iterations in {args.minutes:g} min; saved {path}")

    rng = np.random.default_rng(args.seed)
    test = anila.datasets.fashion_mnist("test")[: args.images]  # (n, 28, 28) in [-1, 1]
    test = test.reshape(len(test), 1, *test.shape[-2:])        # (n, 1, 28, 28), as the model's samples
    n, _, h, _ = test.shape

    # inpainting: hold the top half, draw the lower half given it
    mask = np.zeros(test.shape[1:], bool)
    mask[:, : h // 2] = True
    start = test.copy()
    start[:, :, h // 2:] = rng.uniform(-1, 1, size=start[:, :, h // 2:].shape)
    filled = model.sample(init=start, mask=mask, steps=args.steps, seed=args.seed)
    observed = test.copy()
    observed[:, :, h // 2:] = -1  # shown black: unknown

    # denoising: start at the noisy image and follow the model's sampler for a few steps
    noisy = np.clip(test + 0.3 * rng.normal(size=test.shape), -1, 1).astype(test.dtype)
    cleaned = model.sample(init=noisy, steps=args.steps // 4, seed=args.seed + 1)

    out = os.path.join(args.out, "fashion-inpainting.png")
    anila.plot.image_rows({"original": test, "top half": observed, "filled in": filled,
                           "noisy (sd 0.3)": noisy, "cleaned": cleaned}, path=out)
    err = lambda a: float(np.sqrt(((a - test) ** 2).mean()))  # noqa: E731
    print(f"RMSE to the originals: lower half filled in {np.sqrt(((filled - test)[:, :, h // 2:] ** 2).mean()):.3f} "
          f"(from noise {np.sqrt(((start - test)[:, :, h // 2:] ** 2).mean()):.3f}); "
          f"noisy {err(noisy):.3f} -> cleaned {err(cleaned):.3f}")
    print(f"figure: {out}")


if __name__ == "__main__":
    main()
