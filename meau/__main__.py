from meau.cli import main; main()
