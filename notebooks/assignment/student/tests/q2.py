OK_FORMAT = True

test = {   'name': 'q2',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': ">>> ex = {'DQ_AQ': (2.0, 2.5), 'DQ_CQ': (1.5, 1.0), 'DQ_DA': (3.0, 2.0), 'VQ_AQ': (1.0, 1.5), 'VQ_CQ': (2.0, 2.0), 'VQ_DA': (0.5, 0.5)}\n"
                                               ">>> assert list(pareto(ex, 'DQ')) == ['DQ_AQ', 'DQ_DA']\n"
                                               ">>> assert welfare_pick(ex, 'DQ') == 'DQ_DA'\n",
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
