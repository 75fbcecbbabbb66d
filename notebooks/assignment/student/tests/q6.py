OK_FORMAT = True

test = {   'name': 'q6',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> assert my_welfare(0.0, 0.8) == 0 and my_welfare(0.8, 0.0) == 0\n>>> assert isinstance(my_welfare(0.5, 0.5), float) and my_welfare(0.5, 0.5) > 0\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
