OK_FORMAT = True

test = {   'name': 'q4',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> assert abs(length_term(260, 20, 500) - 0.59063) < 1e-05\n>>> assert abs(user_utility(1.0, 260, 0) - 0.918226) < 1e-05\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
