OK_FORMAT = True

test = {   'name': 'q5',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> b, g = (show(BALANCED), show(GAMED))\n'
                                               ">>> assert b['format_ok'] and g['format_ok'], 'both completions must be well formed'\n"
                                               ">>> assert g['linear'] > b['linear'], 'the linear sum should prefer GAMED'\n",
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
