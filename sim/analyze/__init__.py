"""Analyses of ceasefire durability over uncertain parameters (optional extra ``ceasefire-sim[analysis]``).

``python -m sim.analyze {sobol,prim,survival} [options] [overrides]`` (see ``sim/analyze/__main__.py``):

- ``sobol``    global sensitivity, Sobol' first-order and total indices (SALib), ``sim.analyze.sobol``;
- ``prim``     scenario discovery, PRIM boxes where collapse is likely (ema-workbench 2.5), ``sim.analyze.prim``;
- ``survival`` Kaplan-Meier per condition and Cox hazard ratios with a PH check (lifelines),
  ``sim.analyze.survival``.

Each analysis takes a ``Config`` whose uncertain parameters are distributions (by default the experiment
``experiments/analysis_NAME.yaml``) and returns a result with ``.table``-like frames, ``.warnings`` (diagnostics
that limit the reading, each with its remedy), ``.figures()`` (each with a caption line saying what was run, the
warnings in red, and the table it was drawn from: ``sim.plots.finish``) and ``.write(out_dir)`` (each figure as PNG
and PDF with that table as ``figures/NAME.csv`` beside it); a sample too small for the method raises
``ValueError`` with the reason. The policy levers are ``common.LEVERS``. The heavy libraries are
imported by the submodules only.
"""
