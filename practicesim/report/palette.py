"""Colours every figure of practicesim uses, the client report's and the calibration report's
alike."""

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}
"""The Okabe-Ito colour-blind safe palette (and a neutral grey)."""
