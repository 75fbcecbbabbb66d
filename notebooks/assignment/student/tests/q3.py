OK_FORMAT = True

test = {   'name': 'q3',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': ">>> ex = {'DQ_AQ': (2.0, 4.0), 'DQ_CQ': (0.0, 0.0), 'DQ_DA': (5.0, 1.5), 'VQ_AQ': (1.0, 1.0), 'VQ_CQ': (2.0, 2.0), 'VQ_DA': (0.0, 0.0)}\n"
                                               ">>> assert nash_pick(ex, 'DQ') == 'DQ_AQ'\n",
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
