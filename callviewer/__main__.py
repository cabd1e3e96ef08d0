from callviewer.app import main

raise SystemExit(main())
