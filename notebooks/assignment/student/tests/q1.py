OK_FORMAT = True

test = {   'name': 'q1',
    'points': 2,
    'suites': [   {   'cases': [{'code': ">>> assert parse_payoff(EXAMPLE)['DQ_DA'] == (3.0, 2.0)\n>>> assert parse_payoff(EXAMPLE)['VQ_AQ'] == (1.0, 1.5)\n", 'hidden': False, 'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
