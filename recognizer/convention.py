"""Input conventions: what exactly a model expects, and how the canonical image becomes it.

Preprocessing always makes the canonical image, MNIST's form: (28, 28) float32
in [0, 1], white ink on black, the character in a 20x20 box centred by mass.
Models trained elsewhere expect other tensors: 0..255 instead of 0..1, black
on white, a flat 784-vector, channels first, 32x32 with three channels, the
character filling the frame, or the image transposed (EMNIST). A
:class:`Convention` names all of that, and :meth:`Convention.apply` turns
canonical images into the model's tensor.

>>> import numpy as np
>>> MNIST.apply(np.zeros((28, 28), np.float32)).shape
(1, 28, 28, 1)
>>> Convention(shape=(784,), value_range=(0, 255)).describe()
'a flat vector of 784 values from 0 to 255, light ink on dark, the character in a 20x20 box centred by mass'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import cv2
import numpy as np

from .preprocess import BOX_SIZE, MODEL_SIZE, WHOLE_IMAGE, Step, bounding_box, centre_by_mass, fit_box

__all__ = ["MNIST", "Convention", "Placement", "Polarity"]

Polarity = Literal["light on dark", "dark on light"]
Placement = Literal["mnist", "fill", "resize"]

PLACEMENTS: dict[str, str] = {
    "mnist": f"the character in a {BOX_SIZE}x{BOX_SIZE} box centred by mass",
    "fill": "the character scaled to fill the frame",
    "resize": "the whole image resized, not cropped to the character",
}
"""What each placement does, in words."""


@dataclass(frozen=True)
class Convention:
    """How a model wants its input: shape, layout, value range, polarity, placement.

    Attributes
    ----------
    shape : tuple of int
        The model's input shape without the batch axis: ``(H, W, C)``, ``(C, H, W)``
        with ``channels_first``, ``(H, W)``, or ``(N,)`` for a flat vector of a
        square one-channel image (``N = H * W``). H equals W.
    channels_first : bool
        Whether a 3-d shape is ``(C, H, W)``.
    value_range : (float, float)
        The values of background and full-strength ink, e.g. ``(0, 1)``, ``(0, 255)``, ``(-1, 1)``.
    mean, std : float
        Standardisation after scaling to ``value_range``: ``(x - mean) / std``
        (``mean=0, std=1`` is none). MNIST standardised is ``(0, 1)``, mean 0.1307, std 0.3081.
    polarity : str
        ``"light on dark"`` (MNIST) or ``"dark on light"``.
    placement : str
        ``"mnist"`` (20x20 box centred by mass), ``"fill"`` (the character's box
        scaled to fill the frame) or ``"resize"`` (the whole image resized).
    resize : bool
        For an input side other than 28: resize the 28x28 image to it; otherwise
        (the default) pad it with background, as MNIST is padded to 32x32, or
        crop the border when smaller.
    transposed : bool
        Rows and columns swapped (EMNIST's files are stored that way).
    """

    shape: tuple[int, ...] = (MODEL_SIZE, MODEL_SIZE, 1)
    channels_first: bool = False
    value_range: tuple[float, float] = (0.0, 1.0)
    mean: float = 0.0
    std: float = 1.0
    polarity: Polarity = "light on dark"
    placement: Placement = "mnist"
    resize: bool = False
    transposed: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))
        object.__setattr__(self, "value_range", tuple(float(v) for v in self.value_range))
        if len(self.shape) == 1:
            if self.side**2 != self.shape[0]:
                raise ValueError(f"a flat input of {self.shape[0]} values is not a square image")
        elif len(self.shape) not in (2, 3) or self._hw[0] != self._hw[1]:
            raise ValueError(f"expected a square image shape (H, W), (H, W, C) or (C, H, W), got {self.shape}")
        if self.channels_first and len(self.shape) != 3:
            raise ValueError("channels_first needs a 3-d shape (C, H, W)")
        if self.polarity not in ("light on dark", "dark on light"):
            raise ValueError(f"polarity must be 'light on dark' or 'dark on light', got {self.polarity!r}")
        if self.placement not in PLACEMENTS:
            raise ValueError(f"placement must be one of {', '.join(PLACEMENTS)}, got {self.placement!r}")
        if not (np.isfinite(self.mean) and np.isfinite(self.std) and self.std != 0):
            raise ValueError(f"mean and std must be finite and std not 0, got {self.mean} and {self.std}")
        if not np.all(np.isfinite(self.value_range)) or self.value_range[0] == self.value_range[1]:
            raise ValueError(f"value_range must be two different finite values, got {self.value_range}")
        if min(self.shape) < 1:
            raise ValueError(f"every dimension of the shape must be at least 1, got {self.shape}")
        if self.side < 8:
            raise ValueError(f"an input of {self.side}x{self.side} is too small for a character")

    @property
    def _hw(self) -> tuple[int, int]:
        if len(self.shape) == 3:
            return self.shape[1:] if self.channels_first else self.shape[:2]
        return self.shape[0], self.shape[-1]

    @property
    def side(self) -> int:
        """Side of the square image the model sees, in pixels."""
        if len(self.shape) == 1:
            return round(float(np.sqrt(self.shape[0])))
        return self._hw[0]

    @property
    def channels(self) -> int:
        """Colour channels (the grey image is replicated into each)."""
        if len(self.shape) == 3:
            return self.shape[0] if self.channels_first else self.shape[2]
        return 1

    @property
    def skip(self) -> frozenset[Step]:
        """The preprocessing steps this convention's placement leaves out (``"resize"``: every one after the mask)."""
        return WHOLE_IMAGE if self.placement == "resize" else frozenset()

    def describe(self) -> str:
        """The convention in plain words, e.g. for the page that shows which one a model was trained with."""
        low, high = (f"{v:g}" for v in self.value_range)
        values = f"values from {low} to {high}"
        if (self.mean, self.std) != (0.0, 1.0):
            values += f" standardised with mean {self.mean:g} and std {self.std:g}"
        if len(self.shape) == 1:
            words = [f"a flat vector of {self.shape[0]} {values}"]
        else:
            layout = f"{self.side}x{self.side}"
            if len(self.shape) == 3:
                order = "channels first" if self.channels_first else "channels last"
                layout += f" with {self.channels} channel{'s' * (self.channels > 1)} ({order})"
            words = [f"{layout}, {values}"]
        words += [self.polarity.replace(" on ", " ink on "), PLACEMENTS[self.placement]]
        if self.side != MODEL_SIZE:
            words.append(f"the 28x28 image {'resized' if self.resize else 'padded'} to {self.side}x{self.side}")
        if self.transposed:
            words.append("transposed (rows and columns swapped)")
        return ", ".join(words)

    def apply(self, canonical: np.ndarray) -> np.ndarray:
        """Turn canonical images into the model's input tensor.

        Parameters
        ----------
        canonical : np.ndarray
            (28, 28) or (N, 28, 28) float in [0, 1], white ink on black, as made by
            :func:`recognizer.preprocess.preprocess` (with :attr:`skip` for ``"resize"``).

        Returns
        -------
        np.ndarray
            float32 of shape ``(N,) + shape``, with a batch axis of 1 for a single image.
        """
        images = np.asarray(canonical, np.float32).reshape(-1, MODEL_SIZE, MODEL_SIZE)
        x = np.stack([self._place(image) for image in images]) if self._moves_pixels else images.copy()
        if self.transposed:
            x = x.transpose(0, 2, 1)
        if self.polarity == "dark on light":
            x = 1.0 - x
        low, high = self.value_range
        x = (low + x * (high - low) - self.mean) / self.std
        n = len(x)
        if len(self.shape) == 1:
            return x.reshape(n, -1)
        if len(self.shape) == 2:
            return x
        x = np.repeat(
            x[:, None] if self.channels_first else x[..., None], self.channels, axis=1 if self.channels_first else 3
        )
        return np.ascontiguousarray(x, np.float32)

    def to_image(self, tensor: np.ndarray) -> np.ndarray:
        """One model input as a picture of what the model gets: its polarity, size and transposition kept.

        Parameters
        ----------
        tensor : np.ndarray
            float of the convention's shape, with or without a batch axis of 1.

        Returns
        -------
        np.ndarray
            (side, side) float32 in [0, 1]: 0 at the low end of the value range, 1 at the high end.
        """
        low, high = self.value_range
        x = (np.asarray(tensor, np.float32).reshape(self.shape) * self.std + self.mean - low) / (high - low)
        if len(self.shape) == 1:
            x = x.reshape(self.side, self.side)
        elif len(self.shape) == 3:
            x = x[0] if self.channels_first else x[..., 0]
        return np.clip(x, 0.0, 1.0).astype(np.float32)

    @property
    def _moves_pixels(self) -> bool:
        return self.placement == "fill" or self.side != MODEL_SIZE

    def _place(self, image: np.ndarray) -> np.ndarray:
        """One (28, 28) canonical image placed and sized as the model wants: (side, side) float32."""
        if self.placement == "fill" and image.max() > 0:
            character = np.rint(image[bounding_box(image > 0)] * 255).astype(np.uint8)
            image = centre_by_mass(fit_box(character, MODEL_SIZE), by_mass=False)
        if self.side == MODEL_SIZE:
            return image
        if self.resize:
            interpolation = cv2.INTER_AREA if self.side < MODEL_SIZE else cv2.INTER_LINEAR
            return cv2.resize(image, (self.side, self.side), interpolation=interpolation)
        if self.side > MODEL_SIZE:
            before = (self.side - MODEL_SIZE) // 2
            return np.pad(image, (before, self.side - MODEL_SIZE - before))
        before = (MODEL_SIZE - self.side) // 2
        return image[before : before + self.side, before : before + self.side]

    def to_json(self) -> dict[str, Any]:
        """The convention as JSON-ready data (the ``input`` of a model card)."""
        data = asdict(self)
        data["shape"], data["value_range"] = list(self.shape), list(self.value_range)
        data["description"] = self.describe()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Convention:
        """Read :meth:`to_json`'s output back (unknown keys, such as the description, are ignored)."""
        fields = cls.__dataclass_fields__
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in fields})


MNIST = Convention()
"""The shipped models' convention: (28, 28, 1) in [0, 1], white ink on black, 20x20 box centred by mass."""
