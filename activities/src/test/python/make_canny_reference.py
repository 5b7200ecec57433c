#!/usr/bin/python3
"""Canny parity reference: Debian's OpenCV (python3-opencv) on a committed real photo.

Writes, next to the Java golden images:
  fruits_256_gray.png    the photo (datasets/.../photos/fruits.jpg) resized + centre-cropped to 256, grey
  canny_opencv_python.png  cv2.Canny(gray, 100, 200) of that grey image
The Java test (ConditionsTest) runs our Canny on the same grey PNG and must match pixel for pixel.
Regenerate: /usr/bin/python3 activities/src/test/python/make_canny_reference.py
"""
import os

import cv2

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..", "..")
OUT = os.path.join(HERE, "..", "resources", "golden")
photo = cv2.imread(os.path.join(ROOT, "datasets", "src", "main", "resources", "dev", "cnf", "datasets", "photos", "fruits.jpg"))
h, w = photo.shape[:2]
scale = 256 / min(h, w)
nw, nh = max(256, round(w * scale)), max(256, round(h * scale))
img = cv2.resize(photo, (nw, nh), interpolation=cv2.INTER_AREA)
x, y = (nw - 256) // 2, (nh - 256) // 2
gray = cv2.cvtColor(img[y:y + 256, x:x + 256], cv2.COLOR_BGR2GRAY)
cv2.imwrite(os.path.join(OUT, "fruits_256_gray.png"), gray)
cv2.imwrite(os.path.join(OUT, "canny_opencv_python.png"), cv2.Canny(gray, 100, 200))
print("opencv", cv2.__version__)
