"""Spotting: long recordings in, expression intervals out, scored as the field scores them.

``score`` holds the MEGC metric and the STR analysis (numpy only); ``flow`` the optical-flow ROI
spotter; ``run`` the leave-one-subject-out protocol that tunes every setting on the training subjects.
"""
