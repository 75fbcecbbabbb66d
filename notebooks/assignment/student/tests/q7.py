OK_FORMAT = True

test = {   'name': 'q7',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': ">>> got = reprice(PRICING_MATRIX, 8, 0, TOKENS)\n>>> assert abs(got['DQ_DA'][0] - 5.4) < 1e-09 and abs(got['DQ_DA'][1] - 0.2) < 1e-09\n",
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
