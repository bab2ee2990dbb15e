import OfferCancelCLI

await OfferCancelCommand.main()
