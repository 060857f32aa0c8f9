"""Spotting: long recordings in, expression intervals out, scored as the field scores them.

``score`` holds the MEGC metric and the STR analysis (numpy only); ``peaks`` what every spotter shares
(frame scores to intervals, settings chosen on training subjects); one module per spotter (``flow``:
optical-flow ROI peaks, ``mdmd``: MDMD, ``diff``: LBP feature difference); ``run`` the
leave-one-subject-out protocol; ``recordings`` applies a run's settings to new recordings; ``aus``
predicts the AUs of spotted intervals.
"""
