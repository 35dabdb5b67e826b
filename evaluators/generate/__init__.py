"""Dataset generators: `make-c` (ImageNet-C-style JPEGs) and `make-p` (ImageNet-P-style videos).

Both stream an ImageNet-style source folder, derive one seed per output from (run seed, name, level,
relative path), write atomically and skip outputs that already exist, so a rerun or a resumed run writes
identical files and Ctrl-C never leaves a half-written one.
"""
