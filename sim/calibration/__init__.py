"""Calibration of the assumed parameters against observed patterns: targets
(:mod:`.targets`), screening (:mod:`.screen`), ABC-SMC (:mod:`.abc`), the synthetic-truth
check (:mod:`.identify`), reports (:mod:`.report`), putting a posterior to use
(:mod:`.apply`) and parameter sets drawn from prior or posterior (:mod:`.draws`)."""
