#!/usr/bin/env python3
"""Independent reference for the ridge readout, in numpy.

usage: ridge_reference.py CASE.json -> prints JSON {"pred": [...], "r": r, "rmse": e}: numpy's
closed-form ridge (centred features and target, penalty lambda * n on the weights, intercept
unpenalised) fitted on the training rows, applied to the test rows, scored by np.corrcoef.
"""
import json, sys
import numpy as np

c = json.load(open(sys.argv[1]))
d = c["d"]
x = np.array(c["x_train"], dtype=np.float64).reshape(-1, d)
y = np.array(c["y_train"], dtype=np.float64)
xt = np.array(c["x_test"], dtype=np.float64).reshape(-1, d)
yt = np.array(c["y_test"], dtype=np.float64)
n = len(y)
mx, my = x.mean(0), y.mean()
xc = x - mx
w = np.linalg.solve(xc.T @ xc + c["lambda"] * n * np.eye(d), xc.T @ (y - my))
pred = my + (xt - mx) @ w
print(json.dumps({"pred": pred.tolist(), "r": float(np.corrcoef(pred, yt)[0, 1]),
                  "rmse": float(np.sqrt(np.mean((pred - yt) ** 2)))}))
