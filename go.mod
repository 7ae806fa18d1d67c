module github.com/vigil-aml/vigil

go 1.26.8
