raise SystemExit('shadowed pytest')
