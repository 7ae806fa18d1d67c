module github.com/vigil-aml/vigil/webhooksig

go 1.24
