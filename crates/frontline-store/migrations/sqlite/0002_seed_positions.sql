-- The career ladder from the design, as editable data.
INSERT INTO positions (name, level, rank, tier) VALUES
    ('Support Coordinator', 'IC1', 1, 1),
    ('Support Analyst', 'IC1', 2, 1),
    ('Support Specialist', 'IC2', 3, 1),
    ('Senior Support Specialist', 'IC3', 4, 2),
    ('Support Manager', 'Manager', 5, 2),
    ('Senior Support Lead', 'Manager', 6, 2),
    ('Head of Support', 'Director', 7, 3);
