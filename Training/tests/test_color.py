"""color.py against published and specified values (numpy only)."""

import numpy as np

from kinecolor_training.color import ciede2000, lab_to_srgb, srgb_to_lab

# Sharma, Wu and Dalal (2005), "The CIEDE2000 color-difference formula: implementation notes,
# supplementary test data, and mathematical observations", Table 1: L1 a1 b1 L2 a2 b2 dE00, all 34 pairs
# (also at https://hajim.rochester.edu/ece/sites/gsharma/ciede2000/dataNprograms/ciede2000testdata.txt).
SHARMA_2005 = """
50.0000 2.6772 -79.7751 50.0000 0.0000 -82.7485 2.0425
50.0000 3.1571 -77.2803 50.0000 0.0000 -82.7485 2.8615
50.0000 2.8361 -74.0200 50.0000 0.0000 -82.7485 3.4412
50.0000 -1.3802 -84.2814 50.0000 0.0000 -82.7485 1.0000
50.0000 -1.1848 -84.8006 50.0000 0.0000 -82.7485 1.0000
50.0000 -0.9009 -85.5211 50.0000 0.0000 -82.7485 1.0000
50.0000 0.0000 0.0000 50.0000 -1.0000 2.0000 2.3669
50.0000 -1.0000 2.0000 50.0000 0.0000 0.0000 2.3669
50.0000 2.4900 -0.0010 50.0000 -2.4900 0.0009 7.1792
50.0000 2.4900 -0.0010 50.0000 -2.4900 0.0010 7.1792
50.0000 2.4900 -0.0010 50.0000 -2.4900 0.0011 7.2195
50.0000 2.4900 -0.0010 50.0000 -2.4900 0.0012 7.2195
50.0000 -0.0010 2.4900 50.0000 0.0009 -2.4900 4.8045
50.0000 -0.0010 2.4900 50.0000 0.0010 -2.4900 4.8045
50.0000 -0.0010 2.4900 50.0000 0.0011 -2.4900 4.7461
50.0000 2.5000 0.0000 50.0000 0.0000 -2.5000 4.3065
50.0000 2.5000 0.0000 73.0000 25.0000 -18.0000 27.1492
50.0000 2.5000 0.0000 61.0000 -5.0000 29.0000 22.8977
50.0000 2.5000 0.0000 56.0000 -27.0000 -3.0000 31.9030
50.0000 2.5000 0.0000 58.0000 24.0000 15.0000 19.4535
50.0000 2.5000 0.0000 50.0000 3.1736 0.5854 1.0000
50.0000 2.5000 0.0000 50.0000 3.2972 0.0000 1.0000
50.0000 2.5000 0.0000 50.0000 1.8634 0.5757 1.0000
50.0000 2.5000 0.0000 50.0000 3.2592 0.3350 1.0000
60.2574 -34.0099 36.2677 60.4626 -34.1751 39.4387 1.2644
63.0109 -31.0961 -5.8663 62.8187 -29.7946 -4.0864 1.2630
61.2901 3.7196 -5.3901 61.4292 2.2480 -4.9620 1.8731
35.0831 -44.1164 3.7933 35.0232 -40.0716 1.5901 1.8645
22.7233 20.0904 -46.6940 23.0331 14.9730 -42.5619 2.0373
36.4612 47.8580 18.3852 36.2715 50.5065 21.2231 1.4146
90.8027 -2.0831 1.4410 91.1528 -1.6435 0.0447 1.4441
90.9257 -0.5406 -0.9208 88.6381 -0.8985 -0.7239 1.5381
6.7747 -0.2908 -2.4247 5.8714 -0.0985 -2.2286 0.6377
2.0776 0.0795 -1.1350 0.9033 -0.0636 -0.5514 0.9082
"""
PAIRS = np.array([[float(v) for v in line.split()] for line in SHARMA_2005.strip().splitlines()])

# Docs/bigcolor-architecture.md §8.1 and §8.2: vectors computed with the official functions in float32
# (the same as Tests/ModelTests/LabTests.swift checks for the engine).
SPEC_RGB_TO_LAB = [
    ((1, 1, 1), (100.0, -0.00244, 0.00465)),
    ((0.5, 0.5, 0.5), (53.38897, -0.00146, 0.00279)),
    ((0.8, 0.3, 0.2), (49.87995, 49.2067, 41.08852)),
    ((0.1, 0.6, 0.9), (60.49553, -5.10254, -47.552)),
]
SPEC_FUSION = [  # gray, network rgb, fused rgb
    (0.5, (0.8, 0.3, 0.2), (0.801466, 0.301266, 0.201086)),
    (0.5, (0.5, 0.5, 0.5), (0.466326, 0.466327, 0.466326)),
    (0.2, (0.1, 0.6, 0.9), (0.0, 0.216899, 0.46716)),
    (0.9, (0.9, 0.85, 0.3), (0.954451, 0.900935, 0.350817)),
    (0.0, (0.4, 0.2, 0.1), (0.173155, 0.0, 0.0)),
    (1.0, (0.2, 0.9, 0.3), (0.489249, 1.0, 0.511238)),
]


def test_ciede2000_matches_sharma_2005_table():
    assert PAIRS.shape == (34, 7)
    got = ciede2000(PAIRS[:, 0:3], PAIRS[:, 3:6])
    # the table gives 4 decimals
    np.testing.assert_allclose(got, PAIRS[:, 6], rtol=0, atol=5.1e-5)


def test_ciede2000_is_symmetric_and_zero_on_equal_colors():
    np.testing.assert_allclose(ciede2000(PAIRS[:, 3:6], PAIRS[:, 0:3]), PAIRS[:, 6], rtol=0, atol=5.1e-5)
    lab = PAIRS[:, 0:3]
    np.testing.assert_array_equal(ciede2000(lab, lab), np.zeros(len(lab)))
    # elementwise over any leading shape
    assert ciede2000(lab.reshape(2, 17, 3), lab.reshape(2, 17, 3)).shape == (2, 17)


def test_srgb_to_lab_known_values():
    white, black, red, green, blue = srgb_to_lab(np.array(
        [[255, 255, 255], [0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]], np.uint8))
    np.testing.assert_allclose(white, [100, 0, 0], atol=0.01)
    np.testing.assert_allclose(black, [0, 0, 0], atol=1e-9)
    # textbook D65 values to 2 decimals; BigColor's 6-digit matrix moves them by under 0.005
    np.testing.assert_allclose(red, [53.24, 80.09, 67.20], atol=0.01)
    np.testing.assert_allclose(green, [87.73, -86.18, 83.18], atol=0.01)
    np.testing.assert_allclose(blue, [32.30, 79.19, -107.86], atol=0.01)


def test_srgb_to_lab_matches_spec_vectors():
    rgb = np.array([c[0] for c in SPEC_RGB_TO_LAB], np.float64)
    want = np.array([c[1] for c in SPEC_RGB_TO_LAB])
    np.testing.assert_allclose(srgb_to_lab(rgb), want, rtol=0, atol=2e-4)  # float64 here, float32 there


def test_uint8_input_is_0_to_255_and_float_input_0_to_1():
    rgb8 = np.random.default_rng(0).integers(0, 256, (64, 3), dtype=np.uint8)
    np.testing.assert_allclose(srgb_to_lab(rgb8), srgb_to_lab(rgb8 / 255.0), rtol=0, atol=1e-12)


def test_fusion_matches_spec_vectors():
    for gray, rgb, want in SPEC_FUSION:
        lab = srgb_to_lab(np.array(rgb))
        got = lab_to_srgb(np.array([100 * gray, lab[1], lab[2]]))
        # the spec's values are float32 results to 6 decimals
        np.testing.assert_allclose(got, want, rtol=0, atol=2e-6, err_msg=f"gray {gray}, rgb {rgb}")


def test_lab_round_trip():
    rng = np.random.default_rng(1)
    rgb = rng.random((10000, 3))
    back = lab_to_srgb(srgb_to_lab(rgb))
    np.testing.assert_allclose(back, rgb, rtol=0, atol=1e-9)
    rgb8 = rng.integers(0, 256, (10000, 3), dtype=np.uint8)
    again = np.rint(lab_to_srgb(srgb_to_lab(rgb8)) * 255).astype(np.uint8)
    np.testing.assert_array_equal(again, rgb8)


def test_lab_to_srgb_clamps_only_z():
    # Once b/200 exceeds f_y, f_z is clamped at 0 (§8.2), so more b changes nothing; a is not clamped.
    dark_yellow = lab_to_srgb(np.array([[10, 0, 100], [10, 0, 150], [10, 0, 20]]))  # f_y = 0.224
    np.testing.assert_array_equal(dark_yellow[0], dark_yellow[1])
    assert np.abs(dark_yellow[2] - dark_yellow[0]).max() > 0.01
    green = lab_to_srgb(np.array([[60, -100, 0], [60, -150, 0]]))
    assert np.abs(green[0] - green[1]).max() > 0.01


def test_lab_to_srgb_clips_out_of_gamut():
    out = lab_to_srgb(np.array([[50, 150, 0], [120, 0, 0], [-5, 0, 0], [50, 0, -300]]))
    assert out.min() >= 0 and out.max() <= 1
    np.testing.assert_allclose(out[1], [1, 1, 1])
    np.testing.assert_allclose(out[2], [0, 0, 0])
