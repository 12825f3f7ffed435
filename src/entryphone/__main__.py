from entryphone.cli.main import main

main()
