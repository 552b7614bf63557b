from pathwise.cli import main

raise SystemExit(main())
